import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb'
import type { Envelope } from '../../core/message.js'
import { ensureIndexes, onlyDuplicateKeys } from '../mongo.js'
import type { HistoryQuery, HistoryStore } from './history-store.js'
import { currentState, isRelation, relationAfterDelete } from './relation-state.js'

/**
 * History in MongoDB: one document per entry in `messages`, unique on (room, seq) and
 * (room, id), so the persister's replays after a crash are rejected by the index, not stored twice.
 * Relation entries (edit, delete, reaction) are stored as entries and applied to their target;
 * `relations` indexes them by (room, target) apart from `messages`, whose inserts a third index
 * would slow by a third on FerretDB (measured; sparse or not). Several persisters may store a relation before its target (see
 * `applyRelations`), and a target is always recomputed from all its relations (`currentState`),
 * which makes the order irrelevant.
 */
export class MongoHistoryStore implements HistoryStore {
  private constructor(
    private readonly messages: Collection<Envelope>,
    private readonly relations: Collection<RelationRef>,
    private readonly pending: Collection<{ _id: string }>
  ) {}

  static async open(db: Db): Promise<MongoHistoryStore> {
    const messages = db.collection<Envelope>('messages')
    await ensureIndexes(messages, [
      { key: { room: 1, seq: 1 }, name: 'room_seq', unique: true },
      { key: { room: 1, id: 1 }, name: 'room_id', unique: true }
    ])
    const relations = db.collection<RelationRef>('relations')
    await ensureIndexes(relations, [{ key: { room: 1, target: 1 }, name: 'room_target' }])
    return new MongoHistoryStore(messages, relations, db.collection<{ _id: string }>('pending_targets'))
  }

  async insertMany(envelopes: Envelope[]): Promise<void> {
    if (envelopes.length === 0) return
    try {
      // copies: the driver would add an _id to the caller's objects
      await this.messages.insertMany(
        envelopes.map((envelope) => ({ ...envelope })),
        { ordered: false }
      )
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error
    }
    await this.applyRelations(envelopes)
  }

  /**
   * Brings the target of every relation of the batch to its current state. A target not stored yet
   * (another persister has it) is remembered in `pending_targets`; the batch that stores it then
   * applies its relations. That look-up is by `_id` in a collection that is nearly always empty:
   * a query over `messages` per batch cost FerretDB seconds (measured), this one does not.
   */
  private async applyRelations(envelopes: Envelope[]): Promise<void> {
    const targets = new Set<string>()
    const refs: RelationRef[] = []
    for (const envelope of envelopes) {
      if (!isRelation(envelope)) continue
      targets.add(targetKey(envelope.room, envelope.target as number))
      refs.push({
        _id: `${targetKey(envelope.room, envelope.target as number)}:${envelope.seq}`,
        room: envelope.room,
        target: envelope.target as number,
        seq: envelope.seq
      })
    }
    if (refs.length > 0) {
      await this.relations.bulkWrite(
        // the room in the filter: on a sharded `relations` an upsert must name the shard key (README, Sharded MongoDB)
        refs.map((ref) => ({ replaceOne: { filter: { _id: ref._id, room: ref.room }, replacement: ref, upsert: true } })),
        { ordered: false }
      )
    }
    const plain = envelopes.filter((envelope) => !isRelation(envelope)).map((envelope) => targetKey(envelope.room, envelope.seq))
    const pending = plain.length > 0 ? await this.pending.find({ _id: { $in: plain } }).toArray() : []
    for (const { _id } of pending) targets.add(_id)
    if (targets.size === 0) return
    let missing = await this.applyTo(targets)
    const marked = [...missing]
    if (marked.length > 0) {
      await this.pending.bulkWrite(
        marked.map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { _id } }, upsert: true } })),
        { ordered: false }
      )
      // a persister storing one of them meanwhile may have looked for markers before these existed
      missing = await this.applyTo(missing)
    }
    const resolved = [...pending.map(({ _id }) => _id), ...marked].filter((key) => !missing.has(key))
    if (resolved.length > 0) await this.pending.deleteMany({ _id: { $in: resolved } })
  }

  /** Recomputes the given targets (`{room}:{seq}`) from their relations; answers those not stored yet. */
  private async applyTo(targets: Set<string>): Promise<Set<string>> {
    const keys = [...targets].map(parseTargetKey)
    const rooms = [...new Set(keys.map(([room]) => room))]
    const seqs = [...new Set(keys.map(([, seq]) => seq))]
    // one query each, a superset filtered here ($or per room is slow on FerretDB)
    const [refs, stored] = await Promise.all([
      this.relations.find({ room: { $in: rooms }, target: { $in: seqs } }).toArray(),
      this.messages.find({ room: { $in: rooms }, seq: { $in: seqs } }, { projection: { _id: 0 } }).toArray()
    ])
    const related =
      refs.length === 0
        ? []
        : await this.messages
            .find(
              { room: { $in: [...new Set(refs.map((ref) => ref.room))] }, seq: { $in: refs.map((ref) => ref.seq) } },
              { projection: { _id: 0 } }
            )
            .toArray()
    const writes: AnyBulkWriteOperation<Envelope>[] = []
    const missing = new Set(targets)
    for (const message of stored) {
      const key = targetKey(message.room, message.seq)
      if (!targets.has(key) || isRelation(message)) continue
      missing.delete(key)
      const relations = related.filter((relation) => relation.room === message.room && relation.target === message.seq)
      const state = currentState(message, relations)
      writes.push({ replaceOne: { filter: { room: message.room, seq: message.seq }, replacement: state } })
      if (!state.deleted) continue
      for (const relation of relations) {
        writes.push({ replaceOne: { filter: { room: relation.room, seq: relation.seq }, replacement: relationAfterDelete(relation) } })
      }
    }
    if (writes.length > 0) await this.messages.bulkWrite(writes, { ordered: false })
    return missing
  }

  async list(room: string, query: HistoryQuery): Promise<Envelope[]> {
    const seq: Record<string, number> = {}
    if (query.after !== undefined) seq.$gt = query.after
    if (query.before !== undefined) seq.$lt = query.before
    const filter = Object.keys(seq).length > 0 ? { room, seq } : { room }
    return this.messages
      .find(filter, { projection: { _id: 0 } })
      .sort({ seq: query.after !== undefined ? 1 : -1 })
      .limit(query.limit)
      .toArray()
  }

  async close(): Promise<void> {}
}

/** `{room}:{seq}` of a message that relations point at; room ids hold no `:`. */
const targetKey = (room: string, seq: number) => `${room}:${seq}`

function parseTargetKey(key: string): [string, number] {
  const at = key.lastIndexOf(':')
  return [key.slice(0, at), Number(key.slice(at + 1))]
}

/** A relation entry's place, by its target: `relations` holds one per relation entry. */
interface RelationRef {
  _id: string
  room: string
  target: number
  seq: number
}
