import type { Login } from './target.js'

/** Registrations run a few at a time: each one is an scrypt hash on the node's thread pool. */
const REGISTER_CONCURRENCY = 8

/** The few REST calls the bench needs to set up users and rooms (docs/protocol.md, REST API). */
export function restApi(baseUrl: string) {
  async function call<T>(path: string, body: unknown, token?: string): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (token) headers.authorization = `Bearer ${token}`
    const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
    const text = await response.text()
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text.slice(0, 300)}`)
    return JSON.parse(text) as T
  }

  async function register(username: string): Promise<Login> {
    const answer = await call<{ user: { id: string }; token: string }>('/v1/auth/register', {
      username,
      password: `bench-${username}-password`
    })
    return { clientId: answer.user.id, username: answer.user.id, userId: answer.user.id, password: answer.token }
  }

  return {
    /** Registers `${prefix}-0` … `${prefix}-(count-1)`, in that order. */
    async registerMany(count: number, prefix: string): Promise<Login[]> {
      const logins: Login[] = new Array(count)
      let next = 0
      const worker = async () => {
        while (next < count) {
          const index = next++
          logins[index] = await register(`${prefix}-${index}`)
        }
      }
      await Promise.all(Array.from({ length: Math.min(REGISTER_CONCURRENCY, count) }, worker))
      return logins
    },
    createRoom(token: string, members: string[]): Promise<{ id: string }> {
      return call('/v1/rooms', { name: 'bench room', members }, token)
    }
  }
}
