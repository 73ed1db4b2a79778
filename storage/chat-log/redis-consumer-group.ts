import type { Redis } from 'ioredis'
import type { Envelope } from '../../core/message.js'
import type { ConsumerGroup, LogEntry } from './chat-log.js'

export interface RedisConsumerGroupOptions {
  /** The global log stream. */
  stream: string
  group: string
  /** Longest single blocking read; a `fetch` abort is noticed within this time. */
  blockSliceMs: number
  /** Entries a consumer fetched and has not acked for this long are claimed by the next fetch. */
  claimIdleMs: number
  /** Where a new group starts: `0` (everything still in the stream) or `$` (appends from now on). */
  startAt: '0' | '$'
}

/**
 * One consumer group on the global log stream: XREADGROUP, XACK, XAUTOCLAIM. `commands` serves
 * short calls, `blocking` the blocking reads; `afterAck` lets the log trim what every group acked.
 */
export class RedisConsumerGroup implements ConsumerGroup {
  private readonly pendingDrained = new Set<string>()
  private readonly lastClaim = new Map<string, number>()
  private ready: Promise<void> | null = null

  constructor(
    private readonly commands: Redis,
    private readonly blocking: Redis,
    private readonly options: RedisConsumerGroupOptions,
    private readonly afterAck: () => Promise<void>
  ) {
    // a read whose reply died with the connection (Redis restarted) left entries pending that no
    // consumer saw: each consumer re-reads its own pending entries first, not after `claimIdleMs`
    for (const connection of [commands, blocking]) connection.on('close', () => this.pendingDrained.clear())
  }

  private ensureGroup(): Promise<void> {
    this.ready ??= this.commands.xgroup('CREATE', this.options.stream, this.options.group, this.options.startAt, 'MKSTREAM').then(
      () => undefined,
      (error: Error) => {
        if (!error.message.includes('BUSYGROUP')) {
          this.ready = null
          throw error
        }
      }
    )
    return this.ready
  }

  async fetch(consumer: string, count: number, blockMs: number, signal?: AbortSignal): Promise<LogEntry[]> {
    await this.ensureGroup()
    if (!this.pendingDrained.has(consumer)) {
      const pending = await this.readGroup(consumer, count, '0')
      if (pending.length > 0) return pending
      this.pendingDrained.add(consumer)
    }
    // claiming is a round trip per fetch; entries only become claimable after claimIdleMs anyway
    if (Date.now() - (this.lastClaim.get(consumer) ?? 0) >= this.options.claimIdleMs / 4) {
      this.lastClaim.set(consumer, Date.now())
      const claimed = await this.claimIdle(consumer, count)
      if (claimed.length > 0) return claimed
    }
    const deadline = Date.now() + Math.max(blockMs, 0)
    for (;;) {
      const slice = Math.min(this.options.blockSliceMs, deadline - Date.now())
      const entries = await this.readGroup(consumer, count, '>', slice > 0 ? slice : undefined)
      if (entries.length > 0 || slice <= 0 || signal?.aborted || Date.now() >= deadline) return entries
    }
  }

  private async readGroup(consumer: string, count: number, from: '0' | '>', blockMs?: number): Promise<LogEntry[]> {
    const args: (string | number)[] = ['GROUP', this.options.group, consumer, 'COUNT', count]
    if (blockMs !== undefined) args.push('BLOCK', Math.ceil(blockMs))
    args.push('STREAMS', this.options.stream, from)
    const client = blockMs !== undefined ? this.blocking : this.commands
    const reply = (await client.call('XREADGROUP', ...args)) as [string, [string, string[] | null][]][] | null
    return toEntries(reply?.[0]?.[1] ?? [])
  }

  /** Entries another consumer fetched and left unacknowledged for `claimIdleMs` (a dead worker). */
  private async claimIdle(consumer: string, count: number): Promise<LogEntry[]> {
    const { stream, group, claimIdleMs } = this.options
    const reply = (await this.commands.call('XAUTOCLAIM', stream, group, consumer, claimIdleMs, '0-0', 'COUNT', count)) as [
      string,
      [string, string[] | null][]
    ]
    return toEntries(reply[1] ?? [])
  }

  async ack(positions: string[]): Promise<void> {
    if (positions.length === 0) return
    await this.commands.xack(this.options.stream, this.options.group, ...positions)
    await this.afterAck()
  }

  async backlog(): Promise<number> {
    await this.ensureGroup()
    const group = (await groupsOf(this.commands, this.options.stream)).find((g) => g.name === this.options.group)
    return Number(group?.lag ?? 0) + Number(group?.pending ?? 0)
  }

  async pendingCount(): Promise<number> {
    await this.ensureGroup()
    const summary = (await this.commands.xpending(this.options.stream, this.options.group)) as [number, ...unknown[]]
    return Number(summary[0])
  }
}

/** XINFO GROUPS as records (name, pending, last-delivered-id, lag, …). */
export async function groupsOf(redis: Redis, stream: string): Promise<Record<string, unknown>[]> {
  const groups = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][]
  return groups.map(toRecord)
}

function toEntries(rows: [string, string[] | null][]): LogEntry[] {
  // a null field list is an entry trimmed while still pending: nothing left to hand out
  return rows.flatMap(([position, fields]) => (fields ? [{ position, envelope: JSON.parse(fields[1] as string) as Envelope }] : []))
}

function toRecord(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1]
  return record
}
