import type { Redis } from 'ioredis'
import { encodeEnvelope, splitEnvelope, tombstoneOf } from '../../core/envelope.js'
import type { Envelope } from '../../core/message.js'
import type { RedisHealth } from '../redis-health.js'
import type { AppendResult, ChatLog, ConsumerGroup, LogEntry, NewMessage, TailEntry } from './chat-log.js'
import { idTaken, targetDeleted, unserializable } from './duplicate.js'
import { groupsOf, RedisConsumerGroup } from './redis-consumer-group.js'

export interface RedisChatLogOptions {
  /** Prefix of every key; one per deployment (tests use one per suite). */
  prefix: string
  /** Consumer group the persisters share. */
  group: string
  /** Approximate number of messages kept per room stream for catch-up reads. */
  roomStreamLength: number
  /** Longest single blocking read; a `fetch` abort is noticed within this time. */
  blockSliceMs: number
  /** Entries a consumer fetched and has not acked for this long are claimed by the next fetch. */
  claimIdleMs: number
  /** Acknowledged entries stay in the global stream this long for the nodes' `tail` readers. */
  tailRetentionMs: number
}

export const REDIS_CHAT_LOG_DEFAULTS: RedisChatLogOptions = {
  prefix: 'mqchat:',
  group: 'persisters',
  roomStreamLength: 10_000,
  blockSliceMs: 1000,
  claimIdleMs: 30_000,
  tailRetentionMs: 60_000
}

/**
 * Dedupe, sequence and append in one atomic round trip.
 * KEYS: 1 seq counter, 2 id->"seq:sender" hash, 3 room stream, 4 global log stream,
 *       5 the set of edit seqs of the relation's target, 6 the room's tombstones (seq -> envelope JSON)
 * ARGV: 1 message id, 2 payload head (up to `"seq":`), 3 payload tail, 4 room, 5 room stream length, 6 sender,
 *       7 type, 8 target seq (relations) or '', 9 a delete's tombstone of the target for when the stream no longer holds it, or ''
 * Returns {seq, payload, status}: status 0 appended, 1 the sender's own duplicate, 2 the id is another
 * sender's (payload false: never handed out), 3 a relation whose target is already deleted (checked
 * here too: the pipeline's check and the append are not atomic); payload is false when a duplicate's
 * entry was trimmed.
 * Ids stored before senders were recorded ("seq" alone) take the sender from the entry, if still there.
 * A delete removes its target's and the target's edits' stream entries (XADD cannot replace one)
 * and keeps their tombstones in KEYS[6]; a tombstone is the codec's `tombstoneOf`: the envelope
 * up to `,"body":` (id, room, seq, from, ts and type hold no such text), then an empty body and
 * `"deleted":true` (the message) or its `"target"` (an edit).
 */
const APPEND_SCRIPT = `
local seen = redis.call('HGET', KEYS[2], ARGV[1])
if seen then
  local colon = string.find(seen, ':', 1, true)
  local seq = seen
  local sender = false
  if colon then
    seq = string.sub(seen, 1, colon - 1)
    sender = string.sub(seen, colon + 1)
  end
  local entry = redis.call('XRANGE', KEYS[3], seq .. '-0', seq .. '-0')
  local payload = false
  if entry[1] then payload = entry[1][2][2] else payload = redis.call('HGET', KEYS[6], seq) end
  if not sender and payload then
    local ok, decoded = pcall(cjson.decode, payload)
    if ok then sender = decoded['from'] end
  end
  if sender and sender ~= ARGV[6] then return {tonumber(seq), false, 2} end
  return {tonumber(seq), payload, 1}
end
if ARGV[8] ~= '' and redis.call('HEXISTS', KEYS[6], ARGV[8]) == 1 then return {0, false, 3} end
local seq = redis.call('INCR', KEYS[1])
local payload = ARGV[2] .. seq .. ARGV[3]
redis.call('HSET', KEYS[2], ARGV[1], seq .. ':' .. ARGV[6])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], seq .. '-0', 'p', payload)
redis.call('XADD', KEYS[4], '*', 'p', payload)
if ARGV[7] == 'edit' then redis.call('SADD', KEYS[5], seq) end
if ARGV[7] == 'delete' then
  local seqs = redis.call('SMEMBERS', KEYS[5])
  table.insert(seqs, ARGV[8])
  for _, s in ipairs(seqs) do
    local gone = redis.call('XRANGE', KEYS[3], s .. '-0', s .. '-0')
    if gone[1] then
      local old = gone[1][2][2]
      local at = string.find(old, ',"body":', 1, true)
      local rest = ',"body":"","target":' .. ARGV[8] .. '}'
      if s == ARGV[8] then rest = ',"body":"","deleted":true}' end
      redis.call('HSET', KEYS[6], s, string.sub(old, 1, at - 1) .. rest)
      redis.call('XDEL', KEYS[3], s .. '-0')
    elseif s == ARGV[8] and ARGV[9] ~= '' then
      redis.call('HSET', KEYS[6], s, ARGV[9])
    end
  end
  redis.call('DEL', KEYS[5])
end
return {seq, payload, 0}
`

/**
 * Cluster chat log on Redis. Per room: a counter, an id->seq hash (idempotency), a
 * stream whose entry ids are `{seq}-0` (catch-up reads by seq), a hash of the tombstones of
 * deleted entries and, per edited message, the set of its edits' seqs. One global stream feeds
 * the persisters' consumer group; acknowledged entries are deleted from it.
 */
export class RedisChatLog implements ChatLog {
  private readonly options: RedisChatLogOptions
  private readonly blocking: Redis
  private readonly persisters: RedisConsumerGroup
  private readonly groups = new Map<string, RedisConsumerGroup>()
  private readonly groupConnections: Redis[] = []
  private readonly tailListeners = new Set<(entry: TailEntry) => void>()
  private tailing: Promise<void> | null = null
  private tailConnection: Redis | null = null
  private closed = false
  private lastTrim = 0

  constructor(
    private readonly redis: Redis,
    options: Partial<RedisChatLogOptions>,
    private readonly health: RedisHealth
  ) {
    this.options = { ...REDIS_CHAT_LOG_DEFAULTS, ...options }
    this.blocking = health.watch(redis.duplicate(), 'chat-log-blocking')
    this.persisters = this.makeGroup(this.options.group, '0', this.blocking)
    redis.defineCommand('mqchatAppend', { numberOfKeys: 6, lua: APPEND_SCRIPT })
  }

  private key(...parts: string[]): string {
    return this.options.prefix + parts.join(':')
  }

  async append(message: NewMessage): Promise<AppendResult> {
    const { head, tail } = encode(message, Date.now())
    const [seq, payload, status] = (await (this.redis as unknown as AppendCommand).mqchatAppend(
      this.key('seq', message.room),
      this.key('ids', message.room),
      this.key('room', message.room),
      this.key('log'),
      this.key('edits', message.room, String(message.target ?? 0)),
      this.key('tomb', message.room),
      message.id,
      head,
      tail,
      message.room,
      String(this.options.roomStreamLength),
      message.from,
      message.type,
      String(message.target ?? ''),
      message.type === 'delete' && message.deletes ? encodeEnvelope(tombstoneOf(message.deletes)) : ''
    )) as [number, string | null, number]
    if (status === 2) throw idTaken(message)
    if (status === 3) throw targetDeleted(message)
    const text = payload ?? head + seq + tail
    return { envelope: JSON.parse(text) as Envelope, payload: text, duplicate: status === 1 }
  }

  /** The room stream's entries, with the tombstones of deleted ones in their place (seqs are gapless). */
  async read(room: string, afterSeq: number, limit: number): Promise<Envelope[]> {
    const replies = await this.redis
      .pipeline()
      .xrange(this.key('room', room), `${afterSeq + 1}-0`, '+', 'COUNT', limit)
      .hlen(this.key('tomb', room))
      .get(this.key('seq', room))
      .exec()
    for (const [error] of replies ?? []) if (error) throw error
    const entries = replies?.[0]?.[1] as [string, string[]][]
    const envelopes = entries.map(([, fields]) => JSON.parse(fields[1] as string) as Envelope)
    // rooms without deletes (nearly all) end here; the seq bound keeps the look-up to real gaps
    if (Number(replies?.[1]?.[1]) === 0) return envelopes
    const newest = Number(replies?.[2]?.[1] ?? 0)
    const upper = Math.min(envelopes.length === limit ? (envelopes.at(-1) as Envelope).seq : afterSeq + limit, newest)
    if (envelopes.length >= upper - afterSeq) return envelopes
    const present = new Set(envelopes.map((envelope) => envelope.seq))
    const missing = Array.from({ length: upper - afterSeq }, (_, i) => afterSeq + 1 + i).filter((seq) => !present.has(seq))
    const tombstones = await this.redis.hmget(this.key('tomb', room), ...missing.map(String))
    for (const tombstone of tombstones) if (tombstone) envelopes.push(JSON.parse(tombstone) as Envelope)
    return envelopes.sort((a, b) => a.seq - b.seq).slice(0, limit)
  }

  async lastSeq(room: string): Promise<number> {
    return Number((await this.redis.get(this.key('seq', room))) ?? 0)
  }

  async tail(listener: (entry: TailEntry) => void): Promise<() => void> {
    this.tailListeners.add(listener)
    this.tailing ??= this.startTail()
    await this.tailing
    return () => this.tailListeners.delete(listener)
  }

  /** Resolves once the read position is fixed; the loop then runs until `close`. */
  private async startTail(): Promise<void> {
    const connection = this.health.watch(this.redis.duplicate(), 'chat-log-tail')
    this.tailConnection = connection
    const newest = await this.redis.xrevrange(this.key('log'), '+', '-', 'COUNT', 1)
    let lastId = newest[0]?.[0] ?? '0-0'
    const loop = async () => {
      while (!this.closed) {
        try {
          const reply = (await connection.call(
            'XREAD',
            'COUNT',
            1000,
            'BLOCK',
            this.options.blockSliceMs,
            'STREAMS',
            this.key('log'),
            lastId
          )) as [string, [string, string[]][]][] | null
          for (const [id, fields] of reply?.[0]?.[1] ?? []) {
            lastId = id
            const payload = fields[1] as string
            const entry = { envelope: JSON.parse(payload) as Envelope, payload }
            for (const listener of this.tailListeners) listener(entry)
          }
          this.health.succeeded('chat-log-tail')
        } catch (error) {
          if (this.closed) return
          // Redis away: the read is retried from the same position, so nothing is skipped
          this.health.failed('chat-log-tail', error)
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
      }
    }
    void loop()
  }

  private makeGroup(group: string, startAt: '0' | '$', blocking: Redis): RedisConsumerGroup {
    const { blockSliceMs, claimIdleMs } = this.options
    const options = { stream: this.key('log'), group, blockSliceMs, claimIdleMs, startAt }
    return new RedisConsumerGroup(this.redis, blocking, options, () => this.trimNow())
  }

  group(name: string): ConsumerGroup {
    if (name === this.options.group) return this.persisters
    let group = this.groups.get(name)
    if (!group) {
      // its own connection for blocking reads: a read of one group never waits behind another's.
      // A group added later starts at the newest entry: earlier ones may already be trimmed
      const blocking = this.health.watch(this.redis.duplicate(), `chat-log-blocking-${name}`)
      this.groupConnections.push(blocking)
      group = this.makeGroup(name, '$', blocking)
      this.groups.set(name, group)
    }
    return group
  }

  fetch(consumer: string, count: number, blockMs: number, signal?: AbortSignal): Promise<LogEntry[]> {
    return this.persisters.fetch(consumer, count, blockMs, signal)
  }

  ack(positions: string[]): Promise<void> {
    return this.persisters.ack(positions)
  }

  private async trimNow(): Promise<void> {
    if (Date.now() - this.lastTrim > 5000) {
      this.lastTrim = Date.now()
      await this.trim()
    }
  }

  /** Drops what every consumer group has acked and every tail reader has long seen. */
  private async trim(): Promise<void> {
    const stream = this.key('log')
    const bounds = [`${Date.now() - this.options.tailRetentionMs}-0`]
    for (const group of await groupsOf(this.redis, stream)) {
      bounds.push(String(group['last-delivered-id'] ?? '0-0'))
      const pending = (await this.redis.xpending(stream, String(group.name))) as [number, string | null, ...unknown[]]
      if (pending[1]) bounds.push(pending[1])
    }
    const minId = bounds.reduce((a, b) => (compareIds(a, b) <= 0 ? a : b))
    await this.redis.xtrim(stream, 'MINID', '~', minId)
  }

  backlog(): Promise<number> {
    return this.persisters.backlog()
  }

  pendingCount(): Promise<number> {
    return this.persisters.pendingCount()
  }

  async close(): Promise<void> {
    this.closed = true
    this.blocking.disconnect()
    for (const connection of this.groupConnections) connection.disconnect()
    this.tailConnection?.disconnect()
  }
}

interface AppendCommand {
  mqchatAppend(...args: string[]): Promise<unknown>
}

/** `splitEnvelope`, with a message that cannot be serialized refused as the sender's own fault. */
function encode(message: NewMessage, ts: number): { head: string; tail: string } {
  try {
    return splitEnvelope(message, ts)
  } catch (error) {
    throw unserializable(error)
  }
}

function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number)
  const [bm = 0, bs = 0] = b.split('-').map(Number)
  return am - bm || as - bs
}
