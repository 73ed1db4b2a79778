import type { Collection, Db, OptionalUnlessRequiredId, WithId } from 'mongodb'
import { MqchatError } from '../../core/errors.js'
import { ensureIndexes, isDuplicateKey } from '../mongo.js'
import type { AccountsStore, Room, RoomsPage, User } from './accounts-store.js'

type UserDoc = Omit<User, 'id'> & { _id: string }
type RoomDoc = Omit<Room, 'id'> & { _id: string }
/** `_id` is the lowercased user id: ids are unique ignoring case. */
type NameDoc = { _id: string; userId: string }

/** Users and rooms in MongoDB; a room document holds its members, indexed for "rooms of a user". */
export class MongoAccountsStore implements AccountsStore {
  private constructor(
    private readonly users: Collection<UserDoc>,
    private readonly rooms: Collection<RoomDoc>,
    private readonly names: Collection<NameDoc>
  ) {}

  static async open(db: Db): Promise<MongoAccountsStore> {
    const rooms = db.collection<RoomDoc>('rooms')
    await ensureIndexes(rooms, [{ key: { members: 1 }, name: 'members' }])
    const store = new MongoAccountsStore(db.collection<UserDoc>('users'), rooms, db.collection<NameDoc>('usernames'))
    await store.indexNames()
    return store
  }

  /** Users stored before ids were unique ignoring case get their name document (the first one wins). */
  private async indexNames(): Promise<void> {
    if ((await this.names.countDocuments()) >= (await this.users.countDocuments())) return
    for await (const { _id } of this.users.find({}, { projection: { _id: 1 } })) {
      await this.names.insertOne({ _id: _id.toLowerCase(), userId: _id }).catch((error: unknown) => {
        if (!isDuplicateKey(error)) throw error
      })
    }
  }

  async createUser({ id, ...user }: User): Promise<void> {
    // the name first: of two registrations differing only in case, one gets the name, the other a conflict
    await insertNew(this.names, { _id: id.toLowerCase(), userId: id }, `user ${id}`)
    try {
      await insertNew(this.users, { _id: id, ...user }, `user ${id}`)
    } catch (error) {
      await this.names.deleteOne({ _id: id.toLowerCase(), userId: id })
      throw error
    }
  }

  async findUserByName(name: string): Promise<User | null> {
    const found = await this.names.findOne({ _id: name.toLowerCase() })
    return found ? this.getUser(found.userId) : null
  }

  async getUser(id: string): Promise<User | null> {
    return withId(await this.users.findOne({ _id: id }))
  }

  async listUsers({ prefix = '', after, limit }: { prefix?: string; after?: string; limit: number }): Promise<User[]> {
    const range: Record<string, string> = { $gte: prefix, $lt: `${prefix}~` }
    if (after !== undefined && after >= prefix) range.$gt = after
    const docs = await this.users.find({ _id: range }).sort({ _id: 1 }).limit(limit).toArray()
    return docs.map((doc) => withId(doc) as User)
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const result = await this.users.updateOne({ _id: id }, { $set: { passwordHash } })
    return result.matchedCount === 1
  }

  createRoom({ id, members, ...room }: Room): Promise<void> {
    return insertNew(this.rooms, { _id: id, ...room, members: [...new Set(members)] }, `room ${id}`)
  }

  async getRoom(id: string): Promise<Room | null> {
    return withId(await this.rooms.findOne({ _id: id }))
  }

  async deleteRoom(id: string): Promise<boolean> {
    const result = await this.rooms.deleteOne({ _id: id })
    return result.deletedCount === 1
  }

  async roomsOf(userId: string, page: RoomsPage = {}): Promise<string[]> {
    const docs = await this.findRoomsOf(userId, page, { _id: 1 })
    return docs.map((doc) => doc._id)
  }

  async roomPageOf(userId: string, page: RoomsPage = {}): Promise<Room[]> {
    const docs = await this.findRoomsOf(userId, page)
    return docs.map((doc) => withId(doc) as Room)
  }

  /** On the `members` index; on a sharded cluster this one query is sent to every shard of `rooms`. */
  private findRoomsOf(userId: string, page: RoomsPage, projection?: { _id: 1 }) {
    const filter = page.after === undefined ? { members: userId } : { members: userId, _id: { $gt: page.after } }
    const cursor = this.rooms.find(filter, projection ? { projection } : {}).sort({ _id: 1 })
    return (page.limit ? cursor.limit(page.limit) : cursor).toArray()
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
