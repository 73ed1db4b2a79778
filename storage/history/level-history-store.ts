import type { Envelope } from '../../core/message.js'
import { pad, type StringLevel } from '../level.js'
import type { HistoryQuery, HistoryStore } from './history-store.js'

/**
 * Embedded history on its own LevelDB. Keys:
 *   h!{room}!{seq} -> envelope JSON
 *   i!{room}!{id}  -> seq   (uniqueness of the client id within a room)
 */
export class LevelHistoryStore implements HistoryStore {
  constructor(private readonly db: StringLevel) {}

  async insertMany(envelopes: Envelope[]): Promise<void> {
    if (envelopes.length === 0) return
    const seqKeys = envelopes.map((e) => `h!${e.room}!${pad(e.seq)}`)
    const idKeys = envelopes.map((e) => `i!${e.room}!${e.id}`)
    const [bySeq, byId] = await Promise.all([this.db.getMany(seqKeys), this.db.getMany(idKeys)])
    const taken = new Set<string>()
    const ops: { type: 'put'; key: string; value: string }[] = []
    for (const [index, envelope] of envelopes.entries()) {
      const seqKey = seqKeys[index] as string
      const idKey = idKeys[index] as string
      if (bySeq[index] !== undefined || byId[index] !== undefined || taken.has(seqKey) || taken.has(idKey)) continue
      taken.add(seqKey).add(idKey)
      ops.push({ type: 'put', key: seqKey, value: JSON.stringify(envelope) }, { type: 'put', key: idKey, value: String(envelope.seq) })
    }
    if (ops.length > 0) await this.db.batch(ops)
  }

  async list(room: string, query: HistoryQuery): Promise<Envelope[]> {
    const upper = query.before !== undefined ? `h!${room}!${pad(query.before)}` : `h!${room}!~`
    const values =
      query.after !== undefined
        ? await this.db.values({ gt: `h!${room}!${pad(query.after)}`, lt: upper, limit: query.limit }).all()
        : await this.db.values({ gt: `h!${room}!`, lt: upper, limit: query.limit, reverse: true }).all()
    return values.map((value) => JSON.parse(value) as Envelope)
  }

  async close(): Promise<void> {}
}
