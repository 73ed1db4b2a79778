import { pad, type StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import type { SessionCursors } from './session-cursors.js'

/**
 * Keys `c!{sessionId}\x00{room}` -> seq in their own LevelDB. Writes run one at a time; advances made
 * while one runs are merged (highest seq per session and room) and written by the next, one batch for
 * every session: a read-modify-write per session and PUBACK round fell behind S1's fan-out by seconds,
 * and a session back meanwhile read a stale cursor and got what it had acknowledged again. A read waits
 * for the writes queued before it, so it sees every advance made before it was asked.
 */
export class LevelSessionCursors implements SessionCursors {
  private readonly serialize = createSerialQueue()
  /** Advances not yet handed to a write. */
  private pending = new Map<string, Map<string, number>>()
  /** The queued write that will take `pending`; null when none is queued yet. */
  private nextWrite: Promise<void> | null = null

  constructor(private readonly db: StringLevel) {}

  private prefix(sessionId: string): string {
    return `c!${sessionId}\u0000`
  }

  get(sessionId: string): Promise<Map<string, number>> {
    return this.serialize(async () => {
      const prefix = this.prefix(sessionId)
      const rows = await this.db.iterator({ gt: prefix, lt: `${prefix}\uffff` }).all()
      return new Map(rows.map(([key, value]) => [key.slice(prefix.length), Number(value)]))
    })
  }

  init(sessionId: string, cursors: Map<string, number>): Promise<void> {
    return this.serialize(async () => {
      const keys = [...cursors.keys()].map((room) => this.prefix(sessionId) + room)
      const current = await this.db.getMany(keys)
      const ops = [...cursors.values()].flatMap((seq, i) =>
        current[i] === undefined ? [{ type: 'put' as const, key: keys[i] as string, value: pad(seq) }] : []
      )
      if (ops.length > 0) await this.db.batch(ops)
    })
  }

  advance(sessionId: string, cursors: Map<string, number>): Promise<void> {
    let session = this.pending.get(sessionId)
    if (!session) {
      session = new Map()
      this.pending.set(sessionId, session)
    }
    for (const [room, seq] of cursors) if (!((session.get(room) ?? -1) >= seq)) session.set(room, seq)
    this.nextWrite ??= this.serialize(() => this.writePending())
    return this.nextWrite
  }

  /** Writes every pending advance in one batch, each only where it moves the stored cursor forward. */
  private async writePending(): Promise<void> {
    const pending = this.pending
    this.pending = new Map()
    this.nextWrite = null
    const keys: string[] = []
    const seqs: number[] = []
    for (const [sessionId, rooms] of pending) {
      for (const [room, seq] of rooms) {
        keys.push(this.prefix(sessionId) + room)
        seqs.push(seq)
      }
    }
    const current = await this.db.getMany(keys)
    const ops = seqs.flatMap((seq, i) => {
      const stored = current[i]
      return stored === undefined || seq > Number(stored) ? [{ type: 'put' as const, key: keys[i] as string, value: pad(seq) }] : []
    })
    if (ops.length > 0) await this.db.batch(ops)
  }

  clear(sessionId: string): Promise<void> {
    // advances of the session not yet written would bring its cursors back after the clear
    this.pending.delete(sessionId)
    const prefix = this.prefix(sessionId)
    return this.serialize(() => this.db.clear({ gt: prefix, lt: `${prefix}\uffff` }))
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}
