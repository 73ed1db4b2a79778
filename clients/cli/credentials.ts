import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { CliError } from './errors.js'

/** What `mqchat login` keeps: the server it logged in to, the user and the bearer token. */
export interface Credentials {
  url: string
  username: string
  token: string
}

/** `$MQCHAT_CONFIG_DIR/credentials.json`, else `$XDG_CONFIG_HOME/mqchat/`, else `~/.config/mqchat/`. */
export function credentialsPath(env: Record<string, string | undefined>): string {
  const dir = env.MQCHAT_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'mqchat')
  return join(dir, 'credentials.json')
}

/** The stored credentials, or null when there are none yet. */
export async function readCredentials(path: string): Promise<Credentials | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`)
  }
  try {
    const value = JSON.parse(text) as Partial<Credentials>
    if (typeof value.url === 'string' && typeof value.username === 'string' && typeof value.token === 'string') {
      return { url: value.url, username: value.username, token: value.token }
    }
  } catch (error) {
    throw new CliError(`${path} is not valid JSON (${(error as Error).message}): run \`mqchat login\` again`)
  }
  throw new CliError(`${path} is not a valid credentials file: run \`mqchat login\` again`)
}

/** Writes the file readable by its owner only (0600), atomically: a crash leaves the old file or the new one. */
export async function writeCredentials(path: string, credentials: Credentials): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    const temporary = `${path}.${process.pid}.tmp`
    await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 })
    // the mode above is filtered by the umask; the token must never be group- or world-readable
    await chmod(temporary, 0o600)
    await rename(temporary, path)
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`)
  }
}
