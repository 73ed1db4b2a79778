import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../core/errors.js'
import { createPrivateDir } from '../storage/private-files.js'

/** As for MQCHAT_JWT_SECRET: a shorter HS256 secret can be guessed. */
const MIN_SECRET_LENGTH = 32

/**
 * Embedded mode keeps one generated token secret in `{dataDir}/jwt-secret`, readable by its owner
 * only. A file that is there but empty or too short is refused at start with one line (issue 6,
 * item 11), never used: a node signing with it would start and then fail every token.
 */
export async function embeddedSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, 'jwt-secret')
  await createPrivateDir(dataDir)
  try {
    await writeFile(path, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' })
  } catch (error) {
    // another start, or an earlier one, wrote it first: read that one
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const secret = (await readFile(path, 'utf8')).trim()
  if (secret.length < MIN_SECRET_LENGTH) {
    const what = secret.length === 0 ? 'is empty' : `holds fewer than ${MIN_SECRET_LENGTH} characters`
    throw new ConfigError([
      `${path} ${what}: write a secret of at least ${MIN_SECRET_LENGTH} characters into it, or delete it to have one generated`
    ])
  }
  return secret
}
