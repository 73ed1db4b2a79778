import type { Envelope } from '../../core/message.js'
import { pad, type StringLevel } from '../level.js'
import type { ConsumerGroup, LogEntry } from './chat-log.js'

/**
 * One consumer group's feed in the embedded chat log: `{prefix}{position}` -> envelope JSON,
 * written in the append's own batch and deleted on ack. One process, so consumer names only
 * matter for nothing: entries fetched and not acked for `claimIdleMs` are handed out again,
 * and after a restart every unacked entry is fetched again.
 */
export class LevelConsumerGroup implements ConsumerGroup {
  /** Entries in the feed (appended, not yet acked); null: not counted, `backlog` reads the disk. */
  private feedLength: number | null = null
  private fetchedUpTo = ''
  /** Fetched, not yet acked: position -> when it was fetched and what it holds. */
  private readonly unacked = new Map<string, { fetchedAt: number; entry: LogEntry }>()
  private readonly waiters = new Set<() => void>()

  constructor(
    private readonly log: StringLevel,
    private readonly prefix: string,
    private readonly claimIdleMs: number
  ) {}

  /** Counts what the feed holds on disk (at open, before any append): `backlog` is then kept in memory. */
  async load(): Promise<this> {
    this.feedLength = (await this.log.keys({ gt: this.prefix, lt: `${this.prefix}~` }).all()).length
    return this
  }

  /** The key the entry at `position` is stored under. */
  key(position: number): string {
    return this.prefix + pad(position, 16)
  }

  /** `count` entries were written to the feed: wakes blocked fetches. */
  appended(count: number): void {
    if (this.feedLength !== null) this.feedLength += count
    this.wake()
  }

  async fetch(_consumer: string, count: number, blockMs: number, signal?: AbortSignal): Promise<LogEntry[]> {
    const stale = this.reclaim(count)
    if (stale.length > 0) return stale
    const entries = await this.readFeed(count)
    if (entries.length > 0 || blockMs <= 0 || signal?.aborted) return entries
    await this.waitForAppend(blockMs, signal)
    return this.readFeed(count)
  }

  private async readFeed(count: number): Promise<LogEntry[]> {
    const range = { gt: this.prefix + this.fetchedUpTo, lt: `${this.prefix}~`, limit: count }
    const rows = await this.log.iterator(range).all()
    const entries = rows.map(([key, value]) => ({ position: key.slice(this.prefix.length), envelope: JSON.parse(value) as Envelope }))
    const last = entries.at(-1)
    if (last) this.fetchedUpTo = last.position
    const fetchedAt = Date.now()
    for (const entry of entries) this.unacked.set(entry.position, { fetchedAt, entry })
    return entries
  }

  private reclaim(count: number): LogEntry[] {
    const idleBefore = Date.now() - this.claimIdleMs
    const stale: LogEntry[] = []
    for (const [, held] of this.unacked) {
      if (stale.length >= count) break
      if (held.fetchedAt > idleBefore) continue
      held.fetchedAt = Date.now()
      stale.push(held.entry)
    }
    return stale
  }

  private waitForAppend(blockMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, blockMs)
      this.waiters.add(done)
      signal?.addEventListener('abort', done)
    })
  }

  /** Ends every blocked fetch (new entries, or the log closing). */
  wake(): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  async ack(positions: string[]): Promise<void> {
    if (positions.length === 0) return
    await this.log.batch(positions.map((position) => ({ type: 'del', key: this.prefix + position })))
    for (const position of positions) if (this.unacked.delete(position) && this.feedLength !== null) this.feedLength -= 1
  }

  async backlog(): Promise<number> {
    return this.feedLength ?? (await this.log.keys({ gt: this.prefix, lt: `${this.prefix}~` }).all()).length
  }

  async pendingCount(): Promise<number> {
    return this.unacked.size
  }
}
