import { ChatError } from './errors.js'
import type { Envelope, HistoryPage, HistoryQuery, OutgoingMessage, Room, User } from './types.js'

export interface RestOptions {
  /** The node's HTTP base URL, e.g. `http://localhost:8080`. */
  url: string
  /** A user token or a service API key. */
  token?: string
  /** Per request; a server that does not answer in time is `unreachable`. Default 30 s. */
  timeoutMs?: number
}

export interface AuthAnswer {
  user: User
  token: string
}

/** The server answers at most 200 items per request (docs/protocol.md). */
export const MAX_PAGE = 200

/** The REST API (`/v1`). Failures reject with `ChatError` (the problem+json `code`, or `unreachable` / `bad_answer`). */
export function createRestClient({ url, token, timeoutMs = 30_000 }: RestOptions) {
  const base = url.replace(/\/+$/, '')
  let current = token
  const room = (id: string) => `/v1/rooms/${encodeURIComponent(id)}`

  async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (current) headers.authorization = `Bearer ${current}`
    let response: Response
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs)
      })
    } catch (error) {
      throw new ChatError('unreachable', `cannot reach ${base} (${unreachableReason(error, timeoutMs)})`)
    }
    const text = await response.text()
    let parsed: unknown = null
    if (text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        // the answer is the diagnosis: an HTML page or a proxy's error is not an mqchat server
        throw new ChatError(
          'bad_answer',
          `unexpected answer from ${base}${path}: HTTP ${response.status}, not JSON (is this an mqchat server?)`,
          response.status
        )
      }
    }
    if (!response.ok) {
      const problem = parsed as { code?: unknown; detail?: unknown } | null
      if (typeof problem?.code === 'string') {
        throw new ChatError(problem.code, `${problem.code}: ${String(problem.detail ?? '')}`, response.status)
      }
      throw new ChatError('bad_answer', `unexpected answer from ${base}${path}: HTTP ${response.status}`, response.status)
    }
    return { status: response.status, body: parsed as T }
  }

  return {
    url: base,
    /** Uses another token from now on (e.g. a fresh one after the old one expired). */
    setToken(next: string) {
      current = next
    },
    register: async (username: string, password: string, displayName?: string) =>
      (await call<AuthAnswer>('POST', '/v1/auth/register', { username, password, ...(displayName ? { displayName } : {}) })).body,
    login: async (username: string, password: string) => (await call<AuthAnswer>('POST', '/v1/auth/login', { username, password })).body,
    /** One page of your rooms, in id order. */
    roomsPage: async (query: { cursor?: string; limit?: number } = {}) =>
      (await call<{ rooms: Room[]; next?: string }>('GET', `/v1/rooms${search(query)}`)).body,
    /** All your rooms, following `next` page by page. */
    async rooms({ pageSize = MAX_PAGE }: { pageSize?: number } = {}): Promise<Room[]> {
      const all: Room[] = []
      let cursor: string | undefined
      do {
        const page = await this.roomsPage({ cursor, limit: pageSize })
        all.push(...page.rooms)
        cursor = page.rooms.length > 0 ? page.next : undefined
      } while (cursor !== undefined)
      return all
    },
    getRoom: async (id: string) => (await call<Room>('GET', room(id))).body,
    createRoom: async (input: { name?: string; members?: string[]; kind?: 'group' | 'direct' }) =>
      (await call<Room>('POST', '/v1/rooms', input)).body,
    addMember: async (roomId: string, userId: string) => (await call<Room>('POST', `${room(roomId)}/members`, { userId })).body,
    removeMember: async (roomId: string, userId: string) =>
      void (await call<null>('DELETE', `${room(roomId)}/members/${encodeURIComponent(userId)}`)),
    /** Sends through the same sequencer as MQTT; `duplicate` when `id` was already sequenced (same seq). */
    async sendMessage(roomId: string, message: OutgoingMessage): Promise<{ envelope: Envelope; duplicate: boolean }> {
      const answer = await call<Envelope>('POST', `${room(roomId)}/messages`, message)
      return { envelope: answer.body, duplicate: answer.status === 200 }
    },
    /** One page of history (see `HistoryPage` for the order). */
    history: async (roomId: string, query: HistoryQuery = {}) =>
      (await call<HistoryPage>('GET', `${room(roomId)}/messages${search(query)}`)).body
  }
}

export type RestClient = ReturnType<typeof createRestClient>

function search(query: { [key: string]: string | number | undefined } | HistoryQuery): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
  const text = params.toString()
  return text ? `?${text}` : ''
}

function unreachableReason(error: unknown, timeoutMs: number): string {
  if ((error as { name?: string }).name === 'TimeoutError') return `no answer in ${Math.round(timeoutMs / 1000)} s`
  const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause
  const code = cause?.code ?? cause?.errors?.[0]?.code
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found'
    case 'ECONNRESET':
      return 'connection reset'
    case 'ETIMEDOUT':
      return 'timed out'
    default:
      return code ?? cause?.message ?? (error as Error).message
  }
}
