import type { RedisClient } from '../redis-client.js'
import type { SessionCursors } from './session-cursors.js'

/** HSET only where the new value wins: ARGV = mode ('init' | 'advance'), then room, seq pairs. */
const WRITE_CURSORS = `
for i = 2, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  local next = tonumber(ARGV[i + 1])
  if (not current) or (ARGV[1] == 'advance' and next > tonumber(current)) then
    redis.call('HSET', KEYS[1], ARGV[i], next)
  end
end
return 0
`

/** One hash per session: `{prefix}cursors:{sessionId}` room -> seq. Every command names that one key: any slot of a Redis Cluster. */
export class RedisSessionCursors implements SessionCursors {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string
  ) {}

  private key(sessionId: string): string {
    return `${this.prefix}cursors:${sessionId}`
  }

  async get(sessionId: string): Promise<Map<string, number>> {
    const hash = await this.redis.hgetall(this.key(sessionId))
    return new Map(Object.entries(hash).map(([room, seq]) => [room, Number(seq)]))
  }

  init(sessionId: string, cursors: Map<string, number>): Promise<void> {
    return this.write(sessionId, 'init', cursors)
  }

  advance(sessionId: string, cursors: Map<string, number>): Promise<void> {
    return this.write(sessionId, 'advance', cursors)
  }

  private async write(sessionId: string, mode: string, cursors: Map<string, number>): Promise<void> {
    if (cursors.size === 0) return
    const args = [...cursors].flatMap(([room, seq]) => [room, String(seq)])
    await this.redis.eval(WRITE_CURSORS, 1, this.key(sessionId), mode, ...args)
  }

  async clear(sessionId: string): Promise<void> {
    await this.redis.del(this.key(sessionId))
  }

  async close(): Promise<void> {}
}
