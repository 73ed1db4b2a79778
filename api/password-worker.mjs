// The one thread that hashes and verifies passwords (api/password-hasher.ts), so that argon2 and
// scrypt never occupy the libuv threadpool that LevelDB and the chat path depend on. Plain ESM:
// a worker thread loads it without the TypeScript loader.
import { scryptSync, timingSafeEqual } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { hashSync, verifySync } from '@node-rs/argon2'

/** OWASP password storage guidance for argon2id: 19 MiB, 2 passes, 1 lane. */
const ARGON2ID = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

/** Hashes made before argon2id: `scrypt$N$r$p$salt$hash`, base64url parts. */
function verifyScrypt(password, stored) {
  const [, n, r, p, salt, hash] = stored.split('$')
  if (!salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const options = { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 }
  const actual = scryptSync(password, Buffer.from(salt, 'base64url'), expected.length, options)
  return timingSafeEqual(actual, expected)
}

function run({ op, password, stored }) {
  if (op === 'hash') return hashSync(password, ARGON2ID)
  if (stored.startsWith('scrypt$')) return verifyScrypt(password, stored)
  if (stored.startsWith('$argon2')) return verifySync(stored, password)
  return false
}

parentPort.on('message', (job) => {
  try {
    parentPort.postMessage({ id: job.id, ok: true, result: run(job) })
  } catch (error) {
    parentPort.postMessage({ id: job.id, ok: false, error: error instanceof Error ? error.message : String(error) })
  }
})
