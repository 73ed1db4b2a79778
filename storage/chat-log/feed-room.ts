import { encodeEnvelope } from '../../core/envelope.js'
import type { Envelope } from '../../core/message.js'
import type { TailEntry } from './chat-log.js'

export interface FeedRoomDeps {
  /** The room's stream after `afterSeq` (tombstones in place of deleted entries), ascending, at most `limit`. */
  read(room: string, afterSeq: number, limit: number): Promise<Envelope[]>
  /** Hands one entry to the feed's listeners. */
  deliver(entry: TailEntry): void
  /** `count` entries were read back from the stream (a gap of the live feed, or a catch-up). */
  filled(room: string, count: number): void
  /** Seqs `from`..`to` are no longer in the stream (trimmed): skipped so the room does not stall. */
  gaveUp(room: string, from: number, to: number): void
  /**
   * After a lost feed, the stream holds another entry at the last seq handed out: a failover lost
   * writes the old master had published, and the new master gave their seqs to new messages.
   */
  diverged(room: string, seq: number): void
  /** A stream read failed; it is retried after `retryMs`. */
  readFailed(room: string, error: unknown): void
  /** A stream read worked (after failing). */
  readRecovered(room: string): void
}

export interface FeedRoomOptions {
  /** Entries per stream read. */
  pageSize: number
  /** Wait before a failed stream read is retried. */
  retryMs: number
}

/**
 * One followed room's live feed in seq order, exactly once: live entries pass straight through
 * while they follow the last one handed out; a skipped seq holds later entries back while the gap
 * is read from the room's stream. All stream reads of a room run one at a time (`busy`), so
 * nothing of a room is handed out twice or out of order.
 */
export class FeedRoom {
  /** How many `follow`s hold the room; the feed unsubscribes at 0. */
  follows = 1
  /** Resolves once the room is subscribed and its start seq fixed (or the room was dropped). */
  ready: Promise<void> = Promise.resolve()
  /** The highest seq handed out; -1 until `start`. */
  private last = -1
  /** The id of the entry at `last`, when it was handed out here (checked after a lost feed). */
  private lastId: string | null = null
  private readonly held = new Map<number, TailEntry>()
  private busy = false
  private catchUp = false
  private stopped = false

  constructor(
    readonly room: string,
    readonly channel: string,
    private readonly deps: FeedRoomDeps,
    private readonly options: FeedRoomOptions
  ) {}

  get started(): boolean {
    return this.last >= 0
  }

  /** The subscription is confirmed and the room's seq was `seq` after it: only later entries go out. */
  start(seq: number): void {
    this.last = seq
    this.drain()
  }

  /** An entry from the live feed. */
  received(entry: TailEntry): void {
    const seq = entry.envelope.seq
    if (this.stopped || seq <= this.last) return
    // the common case, with nothing to reorder: straight through
    if (seq === this.last + 1 && !this.busy && this.held.size === 0) {
      this.hand(entry)
      return
    }
    this.held.set(seq, entry)
    if (this.started) this.drain()
  }

  /** The live feed was lost and is back: whatever came after `last` meanwhile is read from the stream. */
  catchUpNow(): void {
    if (!this.started) return
    this.catchUp = true
    this.drain()
  }

  stop(): void {
    this.stopped = true
    this.held.clear()
  }

  private hand(entry: TailEntry): void {
    this.last = entry.envelope.seq
    this.lastId = entry.envelope.id
    this.deps.deliver(entry)
  }

  /** Hands out the held entries that follow on; drops those already handed out. */
  private handHeld(): void {
    for (const seq of this.held.keys()) if (seq <= this.last) this.held.delete(seq)
    for (let next = this.held.get(this.last + 1); next; next = this.held.get(this.last + 1)) {
      this.held.delete(this.last + 1)
      this.hand(next)
    }
  }

  private lowestHeld(): number {
    let lowest = Number.POSITIVE_INFINITY
    for (const seq of this.held.keys()) if (seq < lowest) lowest = seq
    return lowest
  }

  private drain(): void {
    if (this.busy || this.stopped) return
    this.handHeld()
    if (!this.catchUp && this.held.size === 0) return
    this.busy = true
    // fill() never rejects; what arrived as it returned (a catch-up asked meanwhile) is taken up here
    void this.fill().finally(() => {
      this.busy = false
      this.drain()
    })
  }

  /** Reads the stream until no gap is left (and, after a lost feed, up to the stream's end). Never rejects. */
  private async fill(): Promise<void> {
    const { pageSize, retryMs } = this.options
    while (!this.stopped) {
      this.handHeld()
      const gapEnd = this.lowestHeld()
      const catchingUp = this.catchUp
      if (!catchingUp && gapEnd === Number.POSITIVE_INFINITY) return
      this.catchUp = false
      try {
        let limit: number
        let page: Envelope[]
        // after a lost feed, the first read starts one entry early to check the last one handed out
        let verify = catchingUp && this.lastId !== null && this.last > 0
        do {
          limit = catchingUp ? pageSize : Math.min(pageSize, gapEnd - 1 - this.last)
          page = await this.deps.read(this.room, verify ? this.last - 1 : this.last, verify ? limit + 1 : limit)
          if (this.stopped) return
          if (verify) {
            verify = false
            const first = page[0]
            if (first?.seq === this.last) {
              if (first.id !== this.lastId) this.deps.diverged(this.room, this.last)
              page = page.slice(1)
            }
          }
          let filled = 0
          for (const envelope of page) {
            if (envelope.seq <= this.last) continue
            if (envelope.seq > this.last + 1) this.giveUp(envelope.seq)
            filled += 1
            this.hand({ envelope, payload: encodeEnvelope(envelope) })
          }
          if (filled > 0) this.deps.filled(this.room, filled)
          this.handHeld()
        } while (page.length >= limit && (catchingUp || this.last < gapEnd - 1))
        this.deps.readRecovered(this.room)
        // the stream holds nothing more before the held entries: their predecessors were trimmed
        const lowest = this.lowestHeld()
        if (lowest !== Number.POSITIVE_INFINITY && lowest > this.last + 1) this.giveUp(lowest)
      } catch (error) {
        this.catchUp ||= catchingUp
        this.deps.readFailed(this.room, error)
        await new Promise((resolve) => setTimeout(resolve, retryMs))
      }
    }
  }

  /** Seqs from `last + 1` up to before `next` are gone from the stream: skip them. */
  private giveUp(next: number): void {
    this.deps.gaveUp(this.room, this.last + 1, next - 1)
    this.last = next - 1
    this.lastId = null
  }
}
