import type { Collection, Db, OptionalUnlessRequiredId, WithId } from 'mongodb'
import { MqchatError } from '../../core/errors.js'
import { ensureIndexes, isDuplicateKey } from '../mongo.js'
import type { AccountsStore, Room, User } from './accounts-store.js'

type UserDoc = Omit<User, 'id'> & { _id: string }
type RoomDoc = Omit<Room, 'id'> & { _id: string }

/** Users and rooms in MongoDB; a room document holds its members, indexed for "rooms of a user". */
export class MongoAccountsStore implements AccountsStore {
  private constructor(
    private readonly users: Collection<UserDoc>,
    private readonly rooms: Collection<RoomDoc>
  ) {}

  static async open(db: Db): Promise<MongoAccountsStore> {
    const rooms = db.collection<RoomDoc>('rooms')
    await ensureIndexes(rooms, [{ key: { members: 1 }, name: 'members' }])
    return new MongoAccountsStore(db.collection<UserDoc>('users'), rooms)
  }

  createUser({ id, ...user }: User): Promise<void> {
    return insertNew(this.users, { _id: id, ...user }, `user ${id}`)
  }

  async getUser(id: string): Promise<User | null> {
    return withId(await this.users.findOne({ _id: id }))
  }

  createRoom({ id, members, ...room }: Room): Promise<void> {
    return insertNew(this.rooms, { _id: id, ...room, members: [...new Set(members)] }, `room ${id}`)
  }

  async getRoom(id: string): Promise<Room | null> {
    return withId(await this.rooms.findOne({ _id: id }))
  }

  async roomsOf(userId: string): Promise<string[]> {
    const docs = await this.rooms
      .find({ members: userId }, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .toArray()
    return docs.map((doc) => doc._id)
  }

  async addMember(roomId: string, userId: string): Promise<boolean> {
    const result = await this.rooms.updateOne({ _id: roomId, members: { $ne: userId } }, { $push: { members: userId } })
    return result.modifiedCount === 1
  }

  async removeMember(roomId: string, userId: string): Promise<boolean> {
    const result = await this.rooms.updateOne({ _id: roomId, members: userId }, { $pull: { members: userId } })
    return result.modifiedCount === 1
  }

  async close(): Promise<void> {}
}

/** Inserts a document whose `_id` must be new; an existing one is a `conflict`. */
async function insertNew<T extends { _id: string }>(collection: Collection<T>, doc: OptionalUnlessRequiredId<T>, what: string) {
  try {
    await collection.insertOne(doc)
  } catch (error) {
    if (isDuplicateKey(error)) throw new MqchatError('conflict', `${what} already exists`)
    throw error
  }
}

function withId<T extends { _id: string }>(doc: WithId<T> | null): (Omit<T, '_id'> & { id: string }) | null {
  if (!doc) return null
  const { _id, ...rest } = doc
  return { id: _id, ...rest } as Omit<T, '_id'> & { id: string }
}
