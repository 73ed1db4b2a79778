import { createRestClient, type RestClient } from '../sdk/index.js'
import { credentialsPath, readCredentials } from './credentials.js'
import { CliError } from './errors.js'

export const DEFAULT_URL = 'http://localhost:8080'

/** What the client commands get from `main.ts`: the environment and where to print. */
export interface CliContext {
  env: Record<string, string | undefined>
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

/** Options every client command accepts. */
export interface CommonOptions {
  url?: string
  json?: boolean
}

export interface Session {
  api: RestClient
  url: string
  token: string
  /** From the credentials file; unknown when the token came from MQCHAT_TOKEN. */
  username?: string
}

/** `--url`, else MQCHAT_URL, else the server of the stored login, else http://localhost:8080; checked and without a trailing slash. */
export function resolveUrl(option: string | undefined, env: CliContext['env'], stored?: string): string {
  const raw = option ?? (env.MQCHAT_URL || stored || DEFAULT_URL)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new CliError(`invalid server URL ${JSON.stringify(raw)}: expected http://host:port or https://host:port`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`invalid server URL ${raw}: expected http:// or https://`)
  }
  return url.href.replace(/\/+$/, '')
}

/** The token from MQCHAT_TOKEN or the credentials file; a clear hint to log in when there is neither. */
export async function openSession(ctx: CliContext, options: CommonOptions): Promise<Session> {
  const stored = await readCredentials(credentialsPath(ctx.env))
  const token = ctx.env.MQCHAT_TOKEN || stored?.token
  if (!token) {
    throw new CliError('not logged in: run `mqchat login <username> --password <password>` first (or set MQCHAT_TOKEN)')
  }
  const url = resolveUrl(options.url, ctx.env, stored?.url)
  const username = ctx.env.MQCHAT_TOKEN ? undefined : stored?.username
  return { api: createRestClient({ url, token }), url, token, ...(username ? { username } : {}) }
}

/** Prints one JSON document (or, for `tail`, one line per message). */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value)}\n`)
}
