import { pad, type StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import type { CountedEntry, ReadCounts, ReadMark, ReadStateStore, Receipt } from './read-state-store.js'

/** Rooms and counters remembered by the store before it forgets them all and reads them again. */
const CACHED_KEYS = 100_000

interface Recorded {
  seq: number
  /** Countable entries of the room up to `seq`. */
  countable: number
}

/**
 * Embedded read state. Cumulative counters keyed by seq, so a count after a pointer is two seeks:
 * - `rec!{room}` -> `{seq, countable}`: what is recorded, and the room's countable total;
 * - `c!{room}!{seq}` -> countable entries up to that seq (written at each countable entry);
 * - `o!{room}!{user}!{seq}` -> the user's own countable entries up to that seq;
 * - `m!{room}!{user}!{seq}` -> the user's mentions up to that seq;
 * - `p!{room}!{user}` -> the read pointer.
 * `!` sorts before every id character, so one room's or user's keys never run into another's.
 */
export class LevelReadStateStore implements ReadStateStore {
  // one writer at a time: `record` and `markRead` read, then write
  private readonly serial = createSerialQueue()
  /**
   * What this store last wrote, read back without a seek: `rec!{room}` by room, and the newest
   * cumulative counter by `o!`/`m!` prefix. The store is the database's only writer (one process),
   * so these never go stale; a get and a reverse seek per append were a sixth of the broker's time
   * in the S2 bench (500 rooms x 2). Cleared past `CACHED_KEYS` to bound memory.
   */
  private readonly recordedCache = new Map<string, Recorded>()
  private readonly totalsCache = new Map<string, number>()
  private pending: { room: string; entries: CountedEntry[]; resolve(recorded: boolean): void; reject(error: unknown): void }[] = []

  constructor(private readonly db: StringLevel) {}

  async recordedSeq(room: string): Promise<number> {
    return (await this.recorded(room)).seq
  }

  /**
   * Records waiting while a write is under way go into the next single LevelDB batch, whatever
   * their rooms (one write per message was the largest storage cost of S2, 500 rooms x 2).
   */
  record(room: string, entries: CountedEntry[]): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ room, entries, resolve, reject })
      if (this.pending.length === 1) void this.serial(() => this.recordPending())
    })
  }

  private async recordPending(): Promise<void> {
    const jobs = this.pending
    this.pending = []
    const batch = this.db.batch()
    const recordedNow = new Map<string, Recorded>()
    const totals = new Map<string, number>()
    const answers: boolean[] = []
    try {
      for (const { room, entries } of jobs) {
        const recorded = recordedNow.get(room) ?? (await this.recorded(room))
        const fresh = entries.filter((entry) => entry.seq > recorded.seq)
        const gap = fresh.some((entry, i) => entry.seq !== recorded.seq + 1 + i)
        answers.push(!gap)
        if (fresh.length === 0 || gap) continue
        let countable = recorded.countable
        const count = async (prefix: string, seq: string) => {
          const value =
            (totals.get(prefix) ?? this.totalsCache.get(prefix) ?? (await this.valueAtOrBefore(prefix, Number.MAX_SAFE_INTEGER))) + 1
          totals.set(prefix, value)
          batch.put(prefix + seq, String(value))
        }
        for (const entry of fresh) {
          const seq = pad(entry.seq, 16)
          if (entry.countable) {
            countable += 1
            batch.put(`c!${room}!${seq}`, String(countable))
            await count(`o!${room}!${entry.from}!`, seq)
          }
          for (const user of entry.mentions) await count(`m!${room}!${user}!`, seq)
        }
        const now: Recorded = { seq: (fresh.at(-1) as CountedEntry).seq, countable }
        recordedNow.set(room, now)
        batch.put(`rec!${room}`, JSON.stringify(now))
      }
      if (recordedNow.size > 0) await batch.write()
      else await batch.close()
    } catch (error) {
      for (const job of jobs) job.reject(error)
      return
    }
    if (this.recordedCache.size + this.totalsCache.size + recordedNow.size + totals.size > CACHED_KEYS) {
      this.recordedCache.clear()
      this.totalsCache.clear()
    }
    for (const [room, recorded] of recordedNow) this.recordedCache.set(room, recorded)
    for (const [key, value] of totals) this.totalsCache.set(key, value)
    for (const [i, job] of jobs.entries()) job.resolve(answers[i] as boolean)
  }

  markRead(userId: string, room: string, seq: number): Promise<ReadMark> {
    return this.serial(async () => {
      const current = await this.readSeq(userId, room)
      if (seq <= current) return { readSeq: current, moved: false }
      await this.db.put(`p!${room}!${userId}`, String(seq))
      return { readSeq: seq, moved: true }
    })
  }

  async counts(userId: string, room: string): Promise<ReadCounts> {
    const readSeq = await this.readSeq(userId, room)
    const { countable } = await this.recorded(room)
    const own = `o!${room}!${userId}!`
    const mentions = `m!${room}!${userId}!`
    const [countableRead, ownEnd, ownRead, mentionsEnd, mentionsRead] = await Promise.all([
      this.valueAtOrBefore(`c!${room}!`, readSeq),
      this.valueAtOrBefore(own, Number.MAX_SAFE_INTEGER),
      this.valueAtOrBefore(own, readSeq),
      this.valueAtOrBefore(mentions, Number.MAX_SAFE_INTEGER),
      this.valueAtOrBefore(mentions, readSeq)
    ])
    return { readSeq, unread: countable - countableRead - (ownEnd - ownRead), mentions: mentionsEnd - mentionsRead }
  }

  async readers(room: string): Promise<Receipt[]> {
    const prefix = `p!${room}!`
    const rows = await this.db.iterator({ gt: prefix, lt: `${prefix}~` }).all()
    return rows.map(([key, value]) => ({ userId: key.slice(prefix.length), readSeq: Number(value) }))
  }

  async close(): Promise<void> {}

  private async readSeq(userId: string, room: string): Promise<number> {
    return Number((await this.db.get(`p!${room}!${userId}`)) ?? 0)
  }

  private async recorded(room: string): Promise<Recorded> {
    const cached = this.recordedCache.get(room)
    if (cached) return cached
    const stored = await this.db.get(`rec!${room}`)
    return stored === undefined ? { seq: 0, countable: 0 } : (JSON.parse(stored) as Recorded)
  }

  /** The cumulative counter under `prefix` at the last seq <= `seq`: one seek, whatever lies between. */
  private async valueAtOrBefore(prefix: string, seq: number): Promise<number> {
    const upper = seq >= Number.MAX_SAFE_INTEGER ? `${prefix}~` : `${prefix}${pad(seq, 16)}`
    const rows = await this.db.iterator({ gt: prefix, lte: upper, reverse: true, limit: 1 }).all()
    return rows.length === 0 ? 0 : Number(rows[0]?.[1])
  }
}
