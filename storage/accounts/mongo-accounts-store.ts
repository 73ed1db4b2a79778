import type { Collection, Db } from 'mongodb'
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

  async createUser({ id, ...user }: User): Promise<void> {
    try {
      await this.users.insertOne({ _id: id, ...user })
    } catch (error) {
      if (isDuplicateKey(error)) throw new MqchatError('conflict', `user ${id} already exists`)
      throw error
    }
  }

  async getUser(id: string): Promise<User | null> {
    const doc = await this.users.findOne({ _id: id })
    if (!doc) return null
    const { _id, ...user } = doc
    return { id: _id, ...user }
  }

  async createRoom({ id, members, ...room }: Room): Promise<void> {
    try {
      await this.rooms.insertOne({ _id: id, ...room, members: [...new Set(members)] })
    } catch (error) {
      if (isDuplicateKey(error)) throw new MqchatError('conflict', `room ${id} already exists`)
      throw error
    }
  }

  async getRoom(id: string): Promise<Room | null> {
    const doc = await this.rooms.findOne({ _id: id })
    if (!doc) return null
    const { _id, ...room } = doc
    return { id: _id, ...room }
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
