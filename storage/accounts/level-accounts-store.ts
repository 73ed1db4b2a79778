import { MqchatError } from '../../core/errors.js'
import { KeyFilter } from '../key-filter.js'
import type { StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import type { AccountsStore, Room, RoomsPage, User } from './accounts-store.js'

type RoomRecord = Omit<Room, 'members'>

/**
 * Embedded accounts on their own LevelDB. Keys:
 *   u!{userId}          -> user JSON
 *   r!{roomId}          -> room JSON (without members)
 *   m!{roomId}!{userId} -> ''   (members of a room)
 *   ur!{userId}!{roomId} -> ''  (rooms of a user)
 *   n!{lowercased id}   -> userId (ids are unique ignoring case; filled for older data on first use)
 * Creates are serialized in-process so that "exists?" and "put" cannot interleave. The store is the
 * only writer of memberships (one process owns the database), so a `KeyFilter` of the users that
 * have one answers `roomsOf` for users in no room without a read (every CONNECT asks).
 */
export class LevelAccountsStore implements AccountsStore {
  private readonly serialize = createSerialQueue()

  private namesIndexed: Promise<void> | null = null
  private readonly members = new KeyFilter()

  constructor(private readonly db: StringLevel) {}

  createUser(user: User): Promise<void> {
    return this.serialize(async () => {
      await this.indexNames()
      const name = `n!${user.id.toLowerCase()}`
      if ((await this.db.get(name)) !== undefined) throw new MqchatError('conflict', `user ${user.id} already exists`)
      await this.db.batch([
        { type: 'put', key: `u!${user.id}`, value: JSON.stringify(user) },
        { type: 'put', key: name, value: user.id }
      ])
    })
  }

  async findUserByName(name: string): Promise<User | null> {
    await this.indexNames()
    const id = await this.db.get(`n!${name.toLowerCase()}`)
    return id === undefined ? null : this.getUser(id)
  }

  /** Users stored before ids were unique ignoring case get their `n!` key once per process (the first one wins). */
  private indexNames(): Promise<void> {
    this.namesIndexed ??= (async () => {
      for await (const id of this.db.keys({ gt: 'u!', lt: 'u!~' })) {
        const name = `n!${id.slice(2).toLowerCase()}`
        if ((await this.db.get(name)) === undefined) await this.db.put(name, id.slice(2))
      }
    })()
    return this.namesIndexed
  }

  async getUser(id: string): Promise<User | null> {
    const value = await this.db.get(`u!${id}`)
    return value === undefined ? null : (JSON.parse(value) as User)
  }

  async listUsers({ prefix = '', after, limit }: { prefix?: string; after?: string; limit: number }): Promise<User[]> {
    const from = after !== undefined && after >= prefix ? { gt: `u!${after}` } : { gte: `u!${prefix}` }
    const values = await this.db.values({ ...from, lt: `u!${prefix}~`, limit }).all()
    return values.map((value) => JSON.parse(value) as User)
  }

  setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    return this.serialize(async () => {
      const user = await this.getUser(id)
      if (!user) return false
      await this.db.put(`u!${id}`, JSON.stringify({ ...user, passwordHash }))
      return true
    })
  }

  createRoom(room: Room): Promise<void> {
    return this.serialize(async () => {
      if ((await this.db.get(`r!${room.id}`)) !== undefined) throw new MqchatError('conflict', `room ${room.id} already exists`)
      const { members, ...record } = room
      await this.db.batch([
        { type: 'put', key: `r!${room.id}`, value: JSON.stringify(record) },
        ...[...new Set(members)].flatMap((userId) => this.memberOps('put', room.id, userId))
      ])
    })
  }

  async getRoom(id: string): Promise<Room | null> {
    const value = await this.db.get(`r!${id}`)
    if (value === undefined) return null
    const keys = await this.db.keys({ gt: `m!${id}!`, lt: `m!${id}!~` }).all()
    const members = keys.map((key) => key.slice(`m!${id}!`.length))
    return { ...(JSON.parse(value) as RoomRecord), members }
  }

  deleteRoom(id: string): Promise<boolean> {
    return this.serialize(async () => {
      const room = await this.getRoom(id)
      if (!room) return false
      await this.db.batch([{ type: 'del', key: `r!${id}` }, ...room.members.flatMap((userId) => this.memberOps('del', id, userId))])
      return true
    })
  }

  async roomsOf(userId: string, page: RoomsPage = {}): Promise<string[]> {
    await this.members.filled(() => this.fillMembers())
    if (!this.members.mayHave(userId)) return []
    const gt = `ur!${userId}!${page.after ?? ''}`
    const keys = await this.db.keys({ gt, lt: `ur!${userId}!~`, ...(page.limit ? { limit: page.limit } : {}) }).all()
    return keys.map((key) => key.slice(`ur!${userId}!`.length))
  }

  async roomPageOf(userId: string, page: RoomsPage = {}): Promise<Room[]> {
    const rooms = await Promise.all((await this.roomsOf(userId, page)).map((id) => this.getRoom(id)))
    return rooms.filter((room) => room !== null)
  }

  addMember(roomId: string, userId: string): Promise<boolean> {
    return this.serialize(async () => {
      if ((await this.db.get(`m!${roomId}!${userId}`)) !== undefined) return false
      await this.db.batch(this.memberOps('put', roomId, userId))
      return true
    })
  }

  removeMember(roomId: string, userId: string): Promise<boolean> {
    return this.serialize(async () => {
      if ((await this.db.get(`m!${roomId}!${userId}`)) === undefined) return false
      await this.db.batch(this.memberOps('del', roomId, userId))
      return true
    })
  }

  /**
   * Once per process: every user in a room ('"' follows '!', so the range is exactly the `ur!` keys).
   * Each prefix ending before a '!' is added, so an id holding '!' is never missed.
   */
  private async fillMembers(): Promise<void> {
    for await (const key of this.db.keys({ gte: 'ur!', lt: 'ur"' })) {
      for (let end = key.indexOf('!', 3); end !== -1; end = key.indexOf('!', end + 1)) this.members.add(key.slice(3, end))
    }
  }

  private memberOps(type: 'put' | 'del', roomId: string, userId: string): { type: 'put'; key: string; value: string }[] {
    if (type === 'put') this.members.add(userId)
    return [
      { type, key: `m!${roomId}!${userId}`, value: '' },
      { type, key: `ur!${userId}!${roomId}`, value: '' }
    ] as { type: 'put'; key: string; value: string }[]
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}
