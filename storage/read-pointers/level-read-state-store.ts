import { pad, type StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import type { CountedEntry, ReadCounts, ReadMark, ReadStateStore, Receipt } from './read-state-store.js'

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

  constructor(private readonly db: StringLevel) {}

  async recordedSeq(room: string): Promise<number> {
    return (await this.recorded(room)).seq
  }

  record(room: string, entries: CountedEntry[]): Promise<boolean> {
    return this.serial(async () => {
      const recorded = await this.recorded(room)
      const fresh = entries.filter((entry) => entry.seq > recorded.seq)
      if (fresh.length === 0) return true
      if (fresh.some((entry, i) => entry.seq !== recorded.seq + 1 + i)) return false
      const totals = new Map<string, number>()
      const total = async (key: string) => totals.get(key) ?? (await this.valueAtOrBefore(key, Number.MAX_SAFE_INTEGER))
      const batch = this.db.batch()
      let countable = recorded.countable
      for (const entry of fresh) {
        const seq = pad(entry.seq, 16)
        if (entry.countable) {
          countable += 1
          batch.put(`c!${room}!${seq}`, String(countable))
          const own = `o!${room}!${entry.from}!`
          totals.set(own, (await total(own)) + 1)
          batch.put(own + seq, String(totals.get(own)))
        }
        for (const user of entry.mentions) {
          const mentions = `m!${room}!${user}!`
          totals.set(mentions, (await total(mentions)) + 1)
          batch.put(mentions + seq, String(totals.get(mentions)))
        }
      }
      const last = fresh.at(-1) as CountedEntry
      batch.put(`rec!${room}`, JSON.stringify({ seq: last.seq, countable } satisfies Recorded))
      await batch.write()
      return true
    })
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
