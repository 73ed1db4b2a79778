import type { Collection, Db } from 'mongodb'
import type { Envelope } from '../../core/message.js'
import { ensureIndexes, onlyDuplicateKeys } from '../mongo.js'
import type { HistoryQuery, HistoryStore } from './history-store.js'

/**
 * History in MongoDB: one document per message in `messages`, unique on (room, seq) and
 * (room, id), so the persister's replays after a crash are rejected by the index, not stored twice.
 */
export class MongoHistoryStore implements HistoryStore {
  private constructor(private readonly messages: Collection<Envelope>) {}

  static async open(db: Db): Promise<MongoHistoryStore> {
    const messages = db.collection<Envelope>('messages')
    await ensureIndexes(messages, [
      { key: { room: 1, seq: 1 }, name: 'room_seq', unique: true },
      { key: { room: 1, id: 1 }, name: 'room_id', unique: true }
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
