import type { Redis } from 'ioredis'
import type { CountedEntry, ReadCounts, ReadMark, ReadStateStore, Receipt } from './read-state-store.js'

/**
 * KEYS[1] the room's recorded seq; ARGV[1] the room's key base, ARGV[2] the entries (JSON).
 * All or nothing: entries that would leave a gap after the recorded seq store nothing.
 */
const RECORD = `
local recorded = tonumber(redis.call('GET', KEYS[1]) or '0')
local base = ARGV[1]
local entries = cjson.decode(ARGV[2])
local expected = recorded + 1
for _, e in ipairs(entries) do
  if e.seq > recorded then
    if e.seq ~= expected then return 0 end
    expected = expected + 1
  end
end
for _, e in ipairs(entries) do
  if e.seq > recorded then
    if e.countable then
      redis.call('ZADD', base .. 'c', e.seq, e.seq)
      redis.call('ZADD', base .. 'o:' .. e.from, e.seq, e.seq)
    end
    for _, user in ipairs(e.mentions) do
      redis.call('ZADD', base .. 'm:' .. user, e.seq, e.seq)
    end
  end
end
if expected - 1 > recorded then redis.call('SET', KEYS[1], expected - 1) end
return 1
`

/** KEYS[1] the room's pointers (hash); ARGV user, seq. The pointer only moves forward: {pointer, moved}. */
const MARK_READ = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local seq = tonumber(ARGV[2])
if seq <= current then return {current, 0} end
redis.call('HSET', KEYS[1], ARGV[1], seq)
return {seq, 1}
`

/** KEYS[1] pointers, KEYS[2] countable, KEYS[3] the user's own, KEYS[4] the user's mentions; ARGV user. */
const COUNTS = `
local read = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local after = '(' .. read
return {
  read,
  redis.call('ZCOUNT', KEYS[2], after, '+inf') - redis.call('ZCOUNT', KEYS[3], after, '+inf'),
  redis.call('ZCOUNT', KEYS[4], after, '+inf')
}
`

/**
 * Read state in Redis, every key of a room under one hash tag (`{room}`), so each script touches one slot:
 * - `rs:{room}:rec` the recorded seq; `rs:{room}:read` a hash user -> read pointer;
 * - sorted sets (score = seq) of the countable entries (`c`), each user's own (`o:{user}`) and
 *   mentions (`m:{user}`). ZCOUNT is O(log n): counting after a pointer does not walk the unread entries.
 */
export class RedisReadStateStore implements ReadStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string
  ) {}

  async recordedSeq(room: string): Promise<number> {
    return Number((await this.redis.get(`${this.base(room)}rec`)) ?? 0)
  }

  async record(room: string, entries: CountedEntry[]): Promise<boolean> {
    if (entries.length === 0) return true
    const base = this.base(room)
    return Number(await this.redis.eval(RECORD, 1, `${base}rec`, base, JSON.stringify(entries))) === 1
  }

  async markRead(userId: string, room: string, seq: number): Promise<ReadMark> {
    const [readSeq, moved] = (await this.redis.eval(MARK_READ, 1, `${this.base(room)}read`, userId, seq)) as number[]
    return { readSeq: Number(readSeq), moved: Number(moved) === 1 }
  }

  async counts(userId: string, room: string): Promise<ReadCounts> {
    const base = this.base(room)
    const [readSeq, unread, mentions] = (await this.redis.eval(
      COUNTS,
      4,
      `${base}read`,
      `${base}c`,
      `${base}o:${userId}`,
      `${base}m:${userId}`,
      userId
    )) as number[]
    return { readSeq: Number(readSeq), unread: Number(unread), mentions: Number(mentions) }
  }

  async readers(room: string): Promise<Receipt[]> {
    const pointers = await this.redis.hgetall(`${this.base(room)}read`)
    return Object.entries(pointers)
      .map(([userId, readSeq]) => ({ userId, readSeq: Number(readSeq) }))
      .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
  }

  async close(): Promise<void> {}

  private base(room: string): string {
    return `${this.prefix}rs:{${room}}:`
  }
}
