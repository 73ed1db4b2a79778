import type { Collection, Db } from 'mongodb'
import { ensureIndexes } from '../mongo.js'
import { DEFAULT_ROOM_SETTINGS, type RoomSettings, type RoomSettingsStore } from './room-settings-store.js'

/** `_id` is `{room}\n{user}` (ids never hold a newline): one document per pair. */
type SettingsDoc = RoomSettings & { _id: string; room: string; user: string }

/** Room settings in MongoDB, indexed by room for "who muted this room". */
export class MongoRoomSettingsStore implements RoomSettingsStore {
  private constructor(private readonly settings: Collection<SettingsDoc>) {}

  static async open(db: Db): Promise<MongoRoomSettingsStore> {
    const settings = db.collection<SettingsDoc>('room_settings')
    await ensureIndexes(settings, [{ key: { room: 1, muted: 1 }, name: 'room_muted' }])
    return new MongoRoomSettingsStore(settings)
  }

  async get(userId: string, roomId: string): Promise<RoomSettings> {
    // the room in every filter: on a sharded `room_settings` ({room: 'hashed'}) it sends the query to one shard
    const doc = await this.settings.findOne({ _id: `${roomId}\n${userId}`, room: roomId })
    return { ...DEFAULT_ROOM_SETTINGS, ...(doc ? { muted: doc.muted } : {}) }
  }

  async set(userId: string, roomId: string, settings: RoomSettings): Promise<RoomSettings> {
    await this.settings.replaceOne(
      { _id: `${roomId}\n${userId}`, room: roomId },
      { room: roomId, user: userId, ...settings },
      { upsert: true }
    )
    return settings
  }

  async mutedIn(roomId: string): Promise<string[]> {
    const docs = await this.settings
      .find({ room: roomId, muted: true }, { projection: { user: 1 } })
      .sort({ user: 1 })
      .toArray()
    return docs.map((doc) => doc.user)
  }

  async close(): Promise<void> {}
}
