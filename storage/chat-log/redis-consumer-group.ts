import type { Envelope } from '../../core/message.js'
import type { RedisClient } from '../redis-client.js'
import type { ConsumerGroup, LogEntry } from './chat-log.js'
import { PartitionPoller } from './partition-poller.js'

export interface RedisConsumerGroupOptions {
  /** The partition streams, index = partition (each on its own slot). */
  streams: string[]
  group: string
  /** Entries a consumer fetched and has not acked for this long are claimed by the next fetch. */
  claimIdleMs: number
  /** Where a new group starts: `0` (everything still in the streams) or `$` (appends from now on). */
  startAt: '0' | '$'
}

type StreamRows = [string, [string, string[] | null][]][] | null

/**
 * One consumer group over every partition stream of the log (SPEC §10): XREADGROUP, XACK and
 * XAUTOCLAIM per partition. A blocking read cannot span slots on a Cluster, so `fetch` polls all
 * partitions at once (auto-pipelining groups the reads per node) and waits a little longer after
 * each empty round. Each partition is read with the whole `count`: what one fetch cannot return
 * stays in a per-consumer buffer for the next (those entries are already the consumer's pending
 * ones, so a restart or a claim hands them out again). Positions are `<partition>/<stream id>`.
 */
export class RedisConsumerGroup implements ConsumerGroup {
  private readonly pendingCursors = new Map<string, (string | null)[]>()
  private readonly lastClaim = new Map<string, number>()
  private readonly buffers = new Map<string, LogEntry[]>()
  private rotation = 0
  private ready: Promise<void> | null = null

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisConsumerGroupOptions,
    private readonly afterAck: () => Promise<void>
  ) {
    // a read whose reply died with the connection (Redis restarted) left entries pending that no
    // consumer saw: each consumer re-reads its own pending entries first, not after `claimIdleMs`
    redis.on('close', () => {
      this.pendingCursors.clear()
      this.buffers.clear()
    })
  }

  private ensureGroup(): Promise<void> {
    this.ready ??= Promise.all(this.options.streams.map((stream) => this.create(stream))).then(
      () => undefined,
      (error: unknown) => {
        this.ready = null
        throw error
      }
    )
    return this.ready
  }

  private async create(stream: string): Promise<void> {
    await this.redis.xgroup('CREATE', stream, this.options.group, this.options.startAt, 'MKSTREAM').catch((error: Error) => {
      if (!error.message.includes('BUSYGROUP')) throw error
    })
  }

  async fetch(consumer: string, count: number, blockMs: number, signal?: AbortSignal): Promise<LogEntry[]> {
    if (count <= 0) return []
    await this.ensureGroup()
    const buffered = this.buffers.get(consumer)
    if (buffered && buffered.length > 0) return buffered.splice(0, count)
    const pending = await this.readPending(consumer, count)
    if (pending.length > 0) return this.hand(consumer, pending, count)
    // claiming is a round trip per partition; entries only become claimable after claimIdleMs anyway
    if (Date.now() - (this.lastClaim.get(consumer) ?? 0) >= this.options.claimIdleMs / 4) {
      this.lastClaim.set(consumer, Date.now())
      const claimed = await this.claimIdle(consumer, count)
      if (claimed.length > 0) return this.hand(consumer, claimed, count)
    }
    const deadline = Date.now() + Math.max(blockMs, 0)
    const poller = new PartitionPoller()
    for (;;) {
      const entries = await this.readNew(consumer, count)
      if (entries.length > 0) return this.hand(consumer, entries, count)
      if (signal?.aborted || Date.now() >= deadline) return []
      await poller.wait(deadline - Date.now(), signal)
    }
  }

  /** Returns `count` entries, starting at a partition that turns round each call; keeps the rest. */
  private hand(consumer: string, byPartition: LogEntry[][], count: number): LogEntry[] {
    const start = this.rotation++ % byPartition.length
    const ordered = [...byPartition.slice(start), ...byPartition.slice(0, start)].flat()
    const buffer = this.buffers.get(consumer) ?? []
    buffer.push(...ordered.slice(count))
    this.buffers.set(consumer, buffer)
    return ordered.slice(0, count)
  }

  /** This consumer's pending entries (after a restart), from where the last such read stopped. */
  private async readPending(consumer: string, count: number): Promise<LogEntry[][]> {
    let cursors = this.pendingCursors.get(consumer)
    if (!cursors) {
      cursors = this.options.streams.map(() => '0')
      this.pendingCursors.set(consumer, cursors)
    }
    const current = cursors
    if (current.every((cursor) => cursor === null)) return []
    const results = await Promise.all(
      current.map(async (cursor, partition) => {
        if (cursor === null) return []
        const entries = await this.readGroup(partition, consumer, count, cursor)
        current[partition] = entries.length > 0 ? idOf(entries.at(-1) as LogEntry) : null
        return entries
      })
    )
    return results.some((entries) => entries.length > 0) ? results : []
  }

  private async readNew(consumer: string, count: number): Promise<LogEntry[][]> {
    const results = await Promise.all(this.options.streams.map((_, partition) => this.readGroup(partition, consumer, count, '>')))
    return results.some((entries) => entries.length > 0) ? results : []
  }

  private async readGroup(partition: number, consumer: string, count: number, from: string): Promise<LogEntry[]> {
    const stream = this.options.streams[partition] as string
    const args = ['GROUP', this.options.group, consumer, 'COUNT', count, 'STREAMS', stream, from]
    const reply = (await this.redis.call('XREADGROUP', ...args)) as StreamRows
    return toEntries(partition, reply?.[0]?.[1] ?? [])
  }

  /** Entries another consumer fetched and left unacknowledged for `claimIdleMs` (a dead worker). */
  private async claimIdle(consumer: string, count: number): Promise<LogEntry[][]> {
    const { group, claimIdleMs } = this.options
    const results = await Promise.all(
      this.options.streams.map(async (stream, partition) => {
        const reply = (await this.redis.call('XAUTOCLAIM', stream, group, consumer, claimIdleMs, '0-0', 'COUNT', count)) as [
          string,
          [string, string[] | null][]
        ]
        return toEntries(partition, reply[1] ?? [])
      })
    )
    return results.some((entries) => entries.length > 0) ? results : []
  }

  async ack(positions: string[]): Promise<void> {
    if (positions.length === 0) return
    const byPartition = new Map<number, string[]>()
    for (const position of positions) {
      const { partition, id } = parsePosition(position, this.options.streams.length)
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), id])
    }
    await Promise.all(
      [...byPartition].map(([partition, ids]) => this.redis.xack(this.options.streams[partition] as string, this.options.group, ...ids))
    )
    await this.afterAck()
  }

  /** Entries appended but not yet acknowledged by this group, summed over the partitions. */
  async backlog(): Promise<number> {
    await this.ensureGroup()
    const counts = await Promise.all(
      this.options.streams.map(async (stream) => {
        const group = (await groupsOf(this.redis, stream)).find((g) => g.name === this.options.group)
        return Number(group?.lag ?? 0) + Number(group?.pending ?? 0)
      })
    )
    return counts.reduce((a, b) => a + b, 0)
  }

  async pendingCount(): Promise<number> {
    await this.ensureGroup()
    const counts = await Promise.all(
      this.options.streams.map(async (stream) => {
        const summary = (await this.redis.xpending(stream, this.options.group)) as [number, ...unknown[]]
        return Number(summary[0])
      })
    )
    return counts.reduce((a, b) => a + b, 0)
  }
}

/** XINFO GROUPS as records (name, pending, last-delivered-id, lag, …). */
export async function groupsOf(redis: RedisClient, stream: string): Promise<Record<string, unknown>[]> {
  const groups = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][]
  return groups.map(toRecord)
}

/** `<partition>/<stream id>`, checked: a position is passed back by callers. */
export function parsePosition(position: string, partitions: number): { partition: number; id: string } {
  const slash = position.indexOf('/')
  const partition = Number(position.slice(0, slash))
  const id = position.slice(slash + 1)
  if (slash < 1 || !Number.isInteger(partition) || partition < 0 || partition >= partitions || !/^\d+-\d+$/.test(id)) {
    throw new Error(`not a chat log position: ${position}`)
  }
  return { partition, id }
}

function idOf(entry: LogEntry): string {
  return entry.position.slice(entry.position.indexOf('/') + 1)
}

function toEntries(partition: number, rows: [string, string[] | null][]): LogEntry[] {
  // a null field list is an entry trimmed while still pending: nothing left to hand out
  return rows.flatMap(([id, fields]) =>
    fields ? [{ position: `${partition}/${id}`, envelope: JSON.parse(fields[1] as string) as Envelope }] : []
  )
}

function toRecord(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1]
  return record
}
