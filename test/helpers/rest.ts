import type { Envelope } from '../../core/message.js'

export interface RestResponse<T = any> {
  status: number
  body: T
  contentType: string | null
}

/** A tiny fetch wrapper for the REST API. */
export function restClient(baseUrl: string) {
  async function call<T = any>(method: string, path: string, body?: unknown, token?: string, raw?: string): Promise<RestResponse<T>> {
    const headers: Record<string, string> = {}
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json'
    if (token) headers.authorization = `Bearer ${token}`
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body))
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : null, contentType: response.headers.get('content-type') }
  }

  return {
    call,
    async register(username: string, password = 'correct horse battery'): Promise<{ id: string; token: string }> {
      const response = await call('POST', '/v1/auth/register', { username, password })
      if (response.status !== 201) throw new Error(`register ${username}: ${response.status} ${JSON.stringify(response.body)}`)
      return { id: response.body.user.id, token: response.body.token }
    },
    async createRoom(token: string, name: string, members: string[] = []): Promise<{ id: string; members: string[] }> {
      const response = await call('POST', '/v1/rooms', { name, members }, token)
      if (response.status !== 201) throw new Error(`create room: ${response.status} ${JSON.stringify(response.body)}`)
      return response.body
    },
    async history(token: string, roomId: string, query = ''): Promise<Envelope[]> {
      const response = await call('GET', `/v1/rooms/${roomId}/messages${query}`, undefined, token)
      if (response.status !== 200) throw new Error(`history: ${response.status} ${JSON.stringify(response.body)}`)
      return response.body.messages
    }
  }
}
