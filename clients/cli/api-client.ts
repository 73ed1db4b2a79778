import type { Envelope } from '../../core/message.js'
import { ApiError, CliError, Unreachable } from './errors.js'

/** A room as the REST API returns it (docs/protocol.md, "REST API"). */
export interface Room {
  id: string
  name: string
  kind: 'group' | 'direct'
  members: string[]
  createdBy: string
  createdAt: number
}

export interface AuthAnswer {
  user: { id: string; displayName?: string; createdAt?: number }
  token: string
}

export interface HistoryPage {
  messages: Envelope[]
  next?: number
}

export interface HistoryQuery {
  before?: number
  after?: number
  limit?: number
}

export interface ApiClientOptions {
  /** The node's HTTP base URL, e.g. `http://localhost:8080`. */
  baseUrl: string
  token?: string
  /** Per request; a server that does not answer in time counts as unreachable. */
  timeoutMs?: number
}

/** The REST calls the CLI makes. Failures become `ApiError` (problem+json), `Unreachable` or `CliError`. */
export function createApiClient({ baseUrl, token, timeoutMs = 30_000 }: ApiClientOptions) {
  const base = baseUrl.replace(/\/+$/, '')
  const room = (id: string) => `/v1/rooms/${encodeURIComponent(id)}`

  async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (token) headers.authorization = `Bearer ${token}`
    let response: Response
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs)
      })
    } catch (error) {
      throw new Unreachable(base, unreachableReason(error, timeoutMs))
    }
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      throw new CliError(`unexpected answer from ${base}${path}: HTTP ${response.status}, not JSON (is this an mqchat server?)`)
    }
    if (!response.ok) {
      const problem = parsed as { code?: unknown; detail?: unknown } | null
      if (typeof problem?.code === 'string') throw new ApiError(response.status, problem.code, String(problem.detail ?? ''))
      throw new CliError(`unexpected answer from ${base}${path}: HTTP ${response.status}`)
    }
    return { status: response.status, body: parsed as T }
  }

  return {
    baseUrl: base,
    register: async (username: string, password: string) =>
      (await call<AuthAnswer>('POST', '/v1/auth/register', { username, password })).body,
    login: async (username: string, password: string) => (await call<AuthAnswer>('POST', '/v1/auth/login', { username, password })).body,
    listRooms: async () => (await call<{ rooms: Room[] }>('GET', '/v1/rooms')).body.rooms,
    getRoom: async (id: string) => (await call<Room>('GET', room(id))).body,
    createRoom: async (input: { name?: string; members: string[]; kind: 'group' | 'direct' }) =>
      (await call<Room>('POST', '/v1/rooms', input)).body,
    addMember: async (roomId: string, userId: string) => (await call<Room>('POST', `${room(roomId)}/members`, { userId })).body,
    /** Sends through the same sequencer as MQTT; `duplicate` when `id` was already sequenced (same seq). */
    async sendMessage(roomId: string, message: { id: string; body: string }): Promise<{ envelope: Envelope; duplicate: boolean }> {
      const answer = await call<Envelope>('POST', `${room(roomId)}/messages`, message)
      return { envelope: answer.body, duplicate: answer.status === 200 }
    },
    async history(roomId: string, query: HistoryQuery): Promise<HistoryPage> {
      const params = new URLSearchParams()
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
      const search = params.size > 0 ? `?${params}` : ''
      return (await call<HistoryPage>('GET', `${room(roomId)}/messages${search}`)).body
    }
  }
}

export type ApiClient = ReturnType<typeof createApiClient>

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
