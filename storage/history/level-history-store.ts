import type { Envelope } from '../../core/message.js'
import { pad, type StringLevel } from '../level.js'
import type { HistoryQuery, HistoryStore } from './history-store.js'
import { currentState, isRelation, relationAfterDelete } from './relation-state.js'

type Put = { type: 'put'; key: string; value: string }
type Write = Put | { type: 'del'; key: string }

/**
 * Embedded history on its own LevelDB. Keys:
 *   h!{room}!{seq} -> envelope JSON (a message in its current state)
 *   i!{room}!{id}  -> seq   (uniqueness of the client id within a room)
 *   t!{room}!{target}!{seq} -> ''  (the relation entries of a message)
 *   p!{room}!{target} -> ''       (relations stored before their target: applied when it comes)
 * The embedded node runs one persister, which stores a room's entries in seq order; still,
 * every batch recomputes the targets of its relations from all of them, so replays are harmless.
 */
export class LevelHistoryStore implements HistoryStore {
  constructor(private readonly db: StringLevel) {}

  async insertMany(envelopes: Envelope[]): Promise<void> {
    if (envelopes.length === 0) return
    const seqKeys = envelopes.map((e) => `h!${e.room}!${pad(e.seq)}`)
    const idKeys = envelopes.map((e) => `i!${e.room}!${e.id}`)
    const [bySeq, byId] = await Promise.all([this.db.getMany(seqKeys), this.db.getMany(idKeys)])
    const taken = new Set<string>()
    const ops: Put[] = []
    for (const [index, envelope] of envelopes.entries()) {
      const seqKey = seqKeys[index] as string
      const idKey = idKeys[index] as string
      if (bySeq[index] !== undefined || byId[index] !== undefined || taken.has(seqKey) || taken.has(idKey)) continue
      taken.add(seqKey).add(idKey)
      ops.push({ type: 'put', key: seqKey, value: JSON.stringify(envelope) }, { type: 'put', key: idKey, value: String(envelope.seq) })
      if (isRelation(envelope))
        ops.push({ type: 'put', key: relationKey(envelope.room, envelope.target as number, envelope.seq), value: '' })
    }
    if (ops.length > 0) await this.db.batch(ops)
    const targets = new Set(envelopes.filter(isRelation).map((e) => `${e.room}!${pad(e.target as number)}`))
    // messages whose relations were stored first (`p!` markers): after a claim, the order can differ
    const plain = envelopes.filter((e) => !isRelation(e)).map((e) => `${e.room}!${pad(e.seq)}`)
    const marked = plain.length > 0 ? await this.db.getMany(plain.map((target) => `p!${target}`)) : []
    for (const [index, marker] of marked.entries()) if (marker !== undefined) targets.add(plain[index] as string)
    const updates: Write[] = []
    for (const target of targets) updates.push(...(await this.applyRelations(target)))
    if (updates.length > 0) await this.db.batch(updates)
  }

  /** The writes that bring one message (`{room}!{seq}`) and its edits to their current state. */
  private async applyRelations(target: string): Promise<Write[]> {
    const stored = await this.db.get(`h!${target}`)
    if (stored === undefined) return [{ type: 'put', key: `p!${target}`, value: '' }]
    const room = target.slice(0, target.lastIndexOf('!'))
    const prefix = `t!${target}!`
    const seqs = (await this.db.keys({ gt: prefix, lt: `${prefix}~` }).all()).map((key) => key.slice(prefix.length))
    const relations = (await this.db.getMany(seqs.map((seq) => `h!${room}!${seq}`)))
      .filter((value): value is string => value !== undefined)
      .map((value) => JSON.parse(value) as Envelope)
    const state = currentState(JSON.parse(stored) as Envelope, relations)
    const puts: Write[] = [
      { type: 'put', key: `h!${target}`, value: JSON.stringify(state) },
      { type: 'del', key: `p!${target}` }
    ]
    if (state.deleted) {
      for (const relation of relations) {
        puts.push({ type: 'put', key: `h!${room}!${pad(relation.seq)}`, value: JSON.stringify(relationAfterDelete(relation)) })
      }
    }
    return puts
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

const relationKey = (room: string, target: number, seq: number) => `t!${room}!${pad(target)}!${pad(seq)}`
