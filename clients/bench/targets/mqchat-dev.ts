import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createTokenService } from '../../../core/tokens.js'
import { stopChild } from '../proc.js'
import { restApi } from './rest-api.js'
import type { BenchTarget, Login, RunningTarget } from './target.js'

/** The repository root, where `bin/mqchat.js` lives. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const START_TIMEOUT_MS = 30_000

/**
 * `mqchat dev` in a child process: fresh data directory, free loopback ports, rate limits off
 * (the bench sends faster than a person), and a token secret of our own so that idle-connection
 * logins can be signed here instead of registering thousands of users through scrypt.
 */
export function mqchatDevTarget(): BenchTarget {
  return {
    name: 'mqchat',
    unavailable: async () => null,
    async start(janitor) {
      const dataDir = await mkdtemp(join(tmpdir(), 'mqchat-bench-'))
      janitor.defer(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }))
      const secret = randomBytes(48).toString('base64url')
      // never inherit the caller's mqchat, Redis or MongoDB settings: this node is ours alone
      const inherited = Object.entries(process.env).filter(
        ([key]) => !key.startsWith('MQCHAT_') && !['NODE_OPTIONS', 'REDIS_URL', 'MONGODB_URL'].includes(key)
      )
      const child = spawn(process.execPath, ['bin/mqchat.js', 'dev'], {
        cwd: ROOT,
        env: {
          ...Object.fromEntries(inherited),
          MQCHAT_HOST: '127.0.0.1',
          MQCHAT_MQTT_PORT: '0',
          MQCHAT_HTTP_PORT: '0',
          MQCHAT_DATA_DIR: dataDir,
          MQCHAT_JWT_SECRET: secret,
          MQCHAT_RATE_LIMIT_PER_SECOND: '0',
          MQCHAT_LOG_LEVEL: 'info'
        },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      const stop = janitor.defer(`stop mqchat dev (pid ${child.pid})`, () => stopChild(child, 'SIGTERM', 10_000))
      const { mqttPort, httpPort } = await listening(child)
      const api = restApi(`http://127.0.0.1:${httpPort}`)
      const tokens = createTokenService(secret, 86_400)
      const target: RunningTarget = {
        name: 'mqchat',
        mqttUrls: [`mqtt://127.0.0.1:${mqttPort}`],
        pids: [child.pid as number],
        users: (count, prefix) => api.registerMany(count, prefix),
        async idleLogins(count, prefix) {
          const logins: Login[] = []
          for (let index = 0; index < count; index++) {
            const userId = `${prefix}-${index}`
            logins.push({ clientId: userId, username: userId, userId, password: await tokens.issue(userId) })
          }
          return logins
        },
        async room(members) {
          const [owner, ...others] = members
          if (!owner?.password) throw new Error('a room needs at least one registered member')
          const room = await api.createRoom(
            owner.password,
            others.map((member) => member.userId ?? member.clientId)
          )
          return { topic: `rooms/${room.id}/messages` }
        },
        stop
      }
      return target
    }
  }
}

/** Waits for the 'mqchat dev node listening' log line; keeps draining stdout afterwards so logging never blocks. */
function listening(child: ChildProcess): Promise<{ mqttPort: number; httpPort: number }> {
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mqchat dev did not start in ${START_TIMEOUT_MS} ms: ${stderr.trim()}`)),
      START_TIMEOUT_MS
    )
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`mqchat dev exited (code ${code}, signal ${signal}) before listening: ${stderr.trim()}`))
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('mqchat dev node listening')) return
      const entry = JSON.parse(line) as { mqttPort?: unknown; httpPort?: unknown }
      clearTimeout(timer)
      resolve({ mqttPort: Number(entry.mqttPort), httpPort: Number(entry.httpPort) })
    })
  })
}
