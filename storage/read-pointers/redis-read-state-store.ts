import type { RedisKeyspace } from '../chat-log/redis-keyspace.js'
import type { RedisClient } from '../redis-client.js'
import type { CountedEntry, ReadCounts, ReadMark, ReadStateStore, Receipt } from './read-state-store.js'

/**
 * KEYS[1] the room's recorded seq, KEYS[2] its countable entries, KEYS[3..] users' own/mention sets;
 * ARGV[1] the entries (JSON, `own` and `mentions` index KEYS), ARGV[2] how many newest seqs to keep.
 * All or nothing: entries that would leave a gap after the recorded seq store nothing. Every set
 * written is trimmed below (newest - window), so each holds at most `window` members.
 */
const RECORD = `
local recorded = tonumber(redis.call('GET', KEYS[1]) or '0')
local entries = cjson.decode(ARGV[1])
local expected = recorded + 1
for _, e in ipairs(entries) do
  if e.seq > recorded then
    if e.seq ~= expected then return 0 end
    expected = expected + 1
  end
end
local floor = '(' .. (expected - tonumber(ARGV[2]))
local touched = {}
for _, e in ipairs(entries) do
  if e.seq > recorded then
    if e.countable then
      redis.call('ZADD', KEYS[2], e.seq, e.seq)
      redis.call('ZADD', KEYS[e.own], e.seq, e.seq)
      touched[e.own] = true
      touched[2] = true
    end
    for _, index in ipairs(e.mentions) do
      redis.call('ZADD', KEYS[index], e.seq, e.seq)
      touched[index] = true
    end
  end
end
for index in pairs(touched) do redis.call('ZREMRANGEBYSCORE', KEYS[index], '-inf', floor) end
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

/**
 * KEYS[1] pointers, KEYS[2] countable, KEYS[3] the user's own, KEYS[4] the user's mentions, KEYS[5]
 * the recorded seq; ARGV user, window. Counts only the newest `window` seqs: the sets may keep older
 * members (a set is trimmed only when written), and all three must count over the same range.
 */
const COUNTS = `
local read = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local floor = tonumber(redis.call('GET', KEYS[5]) or '0') - tonumber(ARGV[2])
local after = '(' .. math.max(read, floor)
return {
  read,
  redis.call('ZCOUNT', KEYS[2], after, '+inf') - redis.call('ZCOUNT', KEYS[3], after, '+inf'),
  redis.call('ZCOUNT', KEYS[4], after, '+inf')
}
`

/**
 * Read state in Redis. Every key of a room sits below its partition's hash tag (RedisKeyspace), in
 * the slot of the room's chat log keys, so each script touches one slot on Redis Cluster:
 * - `rs:<room>:rec` the recorded seq; `rs:<room>:read` a hash user -> read pointer;
 * - sorted sets (score = seq) of the countable entries (`c`), each user's own (`o:<user>`) and
 *   mentions (`m:<user>`). ZCOUNT is O(log n): counting after a pointer does not walk the unread entries.
 * The sets keep only the room's newest `window` seqs (MQCHAT_ROOM_STREAM_LENGTH): unread and
 * mention counts are exact up to that many seqs behind and capped there (docs/protocol.md).
 */
export class RedisReadStateStore implements ReadStateStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyspace: RedisKeyspace,
    private readonly window: number
  ) {}

  async recordedSeq(room: string): Promise<number> {
    return Number((await this.redis.get(`${this.base(room)}rec`)) ?? 0)
  }

  async record(room: string, entries: CountedEntry[]): Promise<boolean> {
    if (entries.length === 0) return true
    const base = this.base(room)
    const keys = [`${base}rec`, `${base}c`]
    const indexes = new Map<string, number>()
    // Lua's KEYS are 1-based: KEYS[3] is keys[2]
    const indexOf = (key: string): number => {
      let index = indexes.get(key)
      if (index === undefined) {
        index = keys.push(key)
        indexes.set(key, index)
      }
      return index
    }
    const indexed = entries.map((e) => ({
      seq: e.seq,
      countable: e.countable,
      own: e.countable ? indexOf(`${base}o:${e.from}`) : 0,
      mentions: e.mentions.map((user) => indexOf(`${base}m:${user}`))
    }))
    return Number(await this.redis.eval(RECORD, keys.length, ...keys, JSON.stringify(indexed), String(this.window))) === 1
  }

  async markRead(userId: string, room: string, seq: number): Promise<ReadMark> {
    const [readSeq, moved] = (await this.redis.eval(MARK_READ, 1, `${this.base(room)}read`, userId, seq)) as number[]
    return { readSeq: Number(readSeq), moved: Number(moved) === 1 }
  }

  async counts(userId: string, room: string): Promise<ReadCounts> {
    const base = this.base(room)
    const [readSeq, unread, mentions] = (await this.redis.eval(
      COUNTS,
      5,
      `${base}read`,
      `${base}c`,
      `${base}o:${userId}`,
      `${base}m:${userId}`,
      `${base}rec`,
      userId,
      String(this.window)
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
    return `${this.keyspace.partitionBase(this.keyspace.partitionOf(room))}rs:${room}:`
  }
}
