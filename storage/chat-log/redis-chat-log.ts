import type { Registry } from 'prom-client'
import { encodeEnvelope, splitEnvelope, tombstoneOf } from '../../core/envelope.js'
import type { Logger } from '../../core/logger.js'
import type { Envelope } from '../../core/message.js'
import type { RedisClient } from '../redis-client.js'
import type { RedisHealth } from '../redis-health.js'
import type { AppendResult, ChatLog, ConsumerGroup, LogEntry, NewMessage, TailEntry } from './chat-log.js'
import { idTaken, targetDeleted, unserializable } from './duplicate.js'
import { APPEND_SCRIPT, appendKeys, TRIM_EVERY } from './redis-append-script.js'
import { RedisConsumerGroup } from './redis-consumer-group.js'
import { RedisKeyspace } from './redis-keyspace.js'
import { RedisLogTrim } from './redis-log-trim.js'
import { RedisRoomFeed } from './redis-room-feed.js'
import { ReplicaWait } from './replica-wait.js'

export interface RedisChatLogOptions {
  /** Prefix of every key; one per deployment (tests use one per suite). */
  prefix: string
  /** Consumer group the persisters share. */
  group: string
  /** Partition streams of the log (MQCHAT_LOG_PARTITIONS): fixed for the life of a deployment. */
  partitions: number
  /** Approximate number of messages kept per room stream for catch-up reads (MQCHAT_ROOM_STREAM_LENGTH). */
  roomStreamLength: number
  /** Message ids remembered per room and generation (MQCHAT_IDEMPOTENCY_WINDOW; see docs/protocol.md). */
  idempotencyWindow: number
  /** Tombstones and edits older than the room stream are dropped every this many appends of a room. */
  trimEvery: number
  /** Entries a consumer fetched and has not acked for this long are claimed by the next fetch. */
  claimIdleMs: number
  /** Groups other than the persisters' (push) hold entries at most this long (MQCHAT_PUSH_MAX_LAG_MS; redis-log-trim.ts). */
  groupMaxLagMs: number
  /** Replicas that must hold an append before it is acknowledged (MQCHAT_REDIS_WAIT_REPLICAS); 0: none. */
  waitReplicas: number
  /** How long an append waits for them (MQCHAT_REDIS_WAIT_TIMEOUT_MS). */
  waitTimeoutMs: number
}

/** Partition streams are trimmed at most this often (each trim reads every group's position on every partition). */
const TRIM_INTERVAL_MS = 5000

export const REDIS_CHAT_LOG_DEFAULTS: RedisChatLogOptions = {
  prefix: 'mqchat:',
  group: 'persisters',
  partitions: 16,
  roomStreamLength: 10_000,
  idempotencyWindow: 10_000,
  trimEvery: TRIM_EVERY,
  claimIdleMs: 30_000,
  groupMaxLagMs: 3_600_000,
  waitReplicas: 0,
  waitTimeoutMs: 1000
}

/**
 * Cluster chat log on Redis (SPEC §10). Per room, under its partition's hash tag (one slot): a
 * counter, two generations of id -> seq (idempotency), a capped stream whose entry ids are
 * `{seq}-0` (catch-up reads by seq), sorted sets of tombstones and of edits, and the room's
 * sharded pub/sub channel. The persisters and other consumer groups read the partition streams;
 * what every group acked is trimmed from them, and what the persisters acked once another group
 * lags past `groupMaxLagMs` (redis-log-trim.ts).
 */
export class RedisChatLog implements ChatLog {
  readonly keyspace: RedisKeyspace
  private readonly options: RedisChatLogOptions
  private readonly persisters: RedisConsumerGroup
  private readonly groups = new Map<string, RedisConsumerGroup>()
  /** This node's live feed of the rooms it follows (the `tail`); its metrics join the node's registry. */
  readonly feed: RedisRoomFeed
  private readonly replicaWait: ReplicaWait | null
  private readonly trimmer: RedisLogTrim
  private lastTrim = 0
  /** A trim asked for within TRIM_INTERVAL_MS of the last one runs when the interval ends (the last acks of a burst are trimmed too). */
  private trailingTrim: NodeJS.Timeout | null = null
  private logger: Logger | null = null

  constructor(
    private readonly redis: RedisClient,
    options: Partial<RedisChatLogOptions>,
    readonly health: RedisHealth
  ) {
    this.options = { ...REDIS_CHAT_LOG_DEFAULTS, ...options }
    this.keyspace = new RedisKeyspace(this.options.prefix, this.options.partitions)
    this.feed = new RedisRoomFeed({
      client: redis,
      channelOf: (room) => this.keyspace.room(room).feed,
      read: (room, afterSeq, limit) => this.read(room, afterSeq, limit),
      lastSeq: (room) => this.lastSeq(room),
      health
    })
    this.persisters = this.makeGroup(this.options.group, '0')
    const { group: persisters, groupMaxLagMs } = this.options
    this.trimmer = new RedisLogTrim(redis, { streams: this.partitionStreams(), persisters, groupMaxLagMs })
    const { waitReplicas, waitTimeoutMs } = this.options
    this.replicaWait = waitReplicas > 0 ? new ReplicaWait(redis, waitReplicas, waitTimeoutMs) : null
    redis.defineCommand('mqchatAppend', { numberOfKeys: 8, lua: APPEND_SCRIPT })
  }

  async append(message: NewMessage): Promise<AppendResult> {
    const { head, tail } = encode(message, Date.now())
    const keys = this.keyspace.room(message.room)
    const node = this.replicaWait?.nodeOf(keys.seq)
    const [seq, payload, status] = (await (this.redis as unknown as AppendCommand).mqchatAppend(
      ...appendKeys(keys),
      message.id,
      head,
      tail,
      message.room,
      String(this.options.roomStreamLength),
      message.from,
      message.type,
      String(message.target ?? ''),
      message.type === 'delete' && message.deletes ? encodeEnvelope(tombstoneOf(message.deletes)) : '',
      String(this.options.idempotencyWindow),
      String(this.options.trimEvery)
    )) as [number, string | null, number]
    if (status === 2) throw idTaken(message)
    if (status === 3) throw targetDeleted(message)
    // a duplicate waits too: its first append may have been refused for want of replicas
    if (this.replicaWait && node !== undefined) await this.replicaWait.replicated(keys.seq, node)
    const text = payload ?? head + seq + tail
    return { envelope: JSON.parse(text) as Envelope, payload: text, duplicate: status === 1 }
  }

  /** The room stream's entries, with the tombstones of deleted ones in their place (seqs are gapless). */
  async read(room: string, afterSeq: number, limit: number): Promise<Envelope[]> {
    const keys = this.keyspace.room(room)
    const replies = await this.redis
      .pipeline()
      .xrange(keys.stream, `${afterSeq + 1}-0`, '+', 'COUNT', limit)
      .zcard(keys.tombstones)
      .get(keys.seq)
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
    const tombstones = await this.redis.zrangebyscore(keys.tombstones, afterSeq + 1, upper)
    for (const tombstone of tombstones) {
      const envelope = JSON.parse(tombstone) as Envelope
      if (present.has(envelope.seq)) continue
      present.add(envelope.seq)
      envelopes.push(envelope)
    }
    return envelopes.sort((a, b) => a.seq - b.seq).slice(0, limit)
  }

  async lastSeq(room: string): Promise<number> {
    return Number((await this.redis.get(this.keyspace.room(room).seq)) ?? 0)
  }

  /** Adds the feed's and the trim's metrics to the node's registry; they log with the node's logger. */
  instrument(registry: Registry, logger: Logger): void {
    this.logger = logger
    this.feed.instrument(registry, logger)
    this.trimmer.instrument(registry, logger)
  }

  /** Entries of the followed rooms only, from their sharded pub/sub channels (redis-room-feed.ts). */
  tail(listener: (entry: TailEntry) => void): Promise<() => void> {
    return this.feed.tail(listener)
  }

  follow(room: string): Promise<void> {
    return this.feed.follow(room)
  }

  unfollow(room: string): void {
    this.feed.unfollow(room)
  }

  private partitionStreams(): string[] {
    return Array.from({ length: this.options.partitions }, (_, partition) => this.keyspace.log(partition))
  }

  private makeGroup(group: string, startAt: '0' | '$'): RedisConsumerGroup {
    const options = { streams: this.partitionStreams(), group, claimIdleMs: this.options.claimIdleMs, startAt }
    return new RedisConsumerGroup(this.redis, options, () => this.trimNow())
  }

  group(name: string): ConsumerGroup {
    if (name === this.options.group) return this.persisters
    let group = this.groups.get(name)
    if (!group) {
      // a group added later starts at the newest entries: earlier ones may already be trimmed
      group = this.makeGroup(name, '$')
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
    const wait = this.lastTrim + TRIM_INTERVAL_MS - Date.now()
    if (wait <= 0) {
      this.lastTrim = Date.now()
      await this.trimmer.trim()
    } else if (!this.trailingTrim) {
      this.trailingTrim = setTimeout(() => {
        this.trailingTrim = null
        this.trimNow().catch((err: unknown) => this.logger?.warn({ err }, 'chat log trim failed; the next acknowledgement retries'))
      }, wait)
      this.trailingTrim.unref()
    }
  }

  backlog(): Promise<number> {
    return this.persisters.backlog()
  }

  pendingCount(): Promise<number> {
    return this.persisters.pendingCount()
  }

  async close(): Promise<void> {
    if (this.trailingTrim) clearTimeout(this.trailingTrim)
    this.trailingTrim = null
    await this.feed.close()
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
