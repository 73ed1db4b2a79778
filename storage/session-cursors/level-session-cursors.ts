import { pad, type StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import type { SessionCursors } from './session-cursors.js'

/** Keys `c!{sessionId}\x00{room}` -> seq in their own LevelDB. Writes are serialized per process. */
export class LevelSessionCursors implements SessionCursors {
  private readonly serialize = createSerialQueue()

  constructor(private readonly db: StringLevel) {}

  private prefix(sessionId: string): string {
    return `c!${sessionId}\u0000`
  }

  async get(sessionId: string): Promise<Map<string, number>> {
    const prefix = this.prefix(sessionId)
    const rows = await this.db.iterator({ gt: prefix, lt: `${prefix}\uffff` }).all()
    return new Map(rows.map(([key, value]) => [key.slice(prefix.length), Number(value)]))
  }

  init(sessionId: string, cursors: Map<string, number>): Promise<void> {
    return this.write(sessionId, cursors, (current) => current === undefined)
  }

  advance(sessionId: string, cursors: Map<string, number>): Promise<void> {
    return this.write(sessionId, cursors, (current, next) => current === undefined || next > current)
  }

  private write(sessionId: string, cursors: Map<string, number>, accept: (current: number | undefined, next: number) => boolean) {
    return this.serialize(async () => {
      const rooms = [...cursors.keys()]
      const keys = rooms.map((room) => this.prefix(sessionId) + room)
      const current = await this.db.getMany(keys)
      const ops = rooms.flatMap((room, i) => {
        const value = current[i]
        const next = cursors.get(room) as number
        return accept(value === undefined ? undefined : Number(value), next)
          ? [{ type: 'put' as const, key: keys[i] as string, value: pad(next) }]
          : []
      })
      if (ops.length > 0) await this.db.batch(ops)
    })
  }

  clear(sessionId: string): Promise<void> {
    const prefix = this.prefix(sessionId)
    return this.serialize(() => this.db.clear({ gt: prefix, lt: `${prefix}\uffff` }))
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}
