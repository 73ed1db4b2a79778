import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb'
import type { Envelope } from '../../core/message.js'
import { ensureIndexes, onlyDuplicateKeys } from '../mongo.js'
import type { HistoryQuery, HistoryStore } from './history-store.js'
import { currentState, isRelation, relationAfterDelete } from './relation-state.js'

/**
 * History in MongoDB: one document per entry in `messages`, unique on (room, seq) and
 * (room, id), so the persister's replays after a crash are rejected by the index, not stored twice.
 * Relation entries (edit, delete, reaction) are stored as entries and applied to their target,
 * indexed by (room, target). Several persisters may store a relation before its target; so
 * each batch also looks for relations of the messages it stores, and a target is always
 * recomputed from all its relations (`currentState`), which makes the order irrelevant.
 */
export class MongoHistoryStore implements HistoryStore {
  private constructor(private readonly messages: Collection<Envelope>) {}

  static async open(db: Db): Promise<MongoHistoryStore> {
    const messages = db.collection<Envelope>('messages')
    await ensureIndexes(messages, [
      { key: { room: 1, seq: 1 }, name: 'room_seq', unique: true },
      { key: { room: 1, id: 1 }, name: 'room_id', unique: true },
      { key: { room: 1, target: 1 }, name: 'room_target' }
    ])
    return new MongoHistoryStore(messages)
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

  /** Brings every message of the batch that has relations, and every relation's target, to its current state. */
  private async applyRelations(envelopes: Envelope[]): Promise<void> {
    const targets = new Map<string, Set<number>>()
    const add = (room: string, seq: number) => targets.set(room, (targets.get(room) ?? new Set()).add(seq))
    const messages = new Map<string, number[]>()
    for (const envelope of envelopes) {
      if (isRelation(envelope)) add(envelope.room, envelope.target as number)
      else messages.set(envelope.room, [...(messages.get(envelope.room) ?? []), envelope.seq])
    }
    if (messages.size > 0) {
      const early = await this.messages
        .find(
          { $or: [...messages].map(([room, seqs]) => ({ room, target: { $in: seqs } })) },
          { projection: { _id: 0, room: 1, target: 1 } }
        )
        .toArray()
      for (const relation of early) add(relation.room, relation.target as number)
    }
    const writes: AnyBulkWriteOperation<Envelope>[] = []
    for (const [room, seqs] of targets) {
      const related = await this.messages.find({ room, target: { $in: [...seqs] } }, { projection: { _id: 0 } }).toArray()
      const stored = await this.messages.find({ room, seq: { $in: [...seqs] } }, { projection: { _id: 0 } }).toArray()
      for (const message of stored) {
        const relations = related.filter((relation) => relation.target === message.seq)
        const state = currentState(message, relations)
        writes.push({ replaceOne: { filter: { room, seq: message.seq }, replacement: state } })
        if (!state.deleted) continue
        for (const relation of relations) {
          writes.push({ replaceOne: { filter: { room, seq: relation.seq }, replacement: relationAfterDelete(relation) } })
        }
      }
    }
    if (writes.length > 0) await this.messages.bulkWrite(writes, { ordered: false })
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
