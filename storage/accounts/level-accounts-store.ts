import { MqchatError } from '../../core/errors.js'
import type { StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import type { AccountsStore, Room, User } from './accounts-store.js'

type RoomRecord = Omit<Room, 'members'>

/**
 * Embedded accounts on their own LevelDB. Keys:
 *   u!{userId}          -> user JSON
 *   r!{roomId}          -> room JSON (without members)
 *   m!{roomId}!{userId} -> ''   (members of a room)
 *   ur!{userId}!{roomId} -> ''  (rooms of a user)
 * Creates are serialized in-process so that "exists?" and "put" cannot interleave.
 */
export class LevelAccountsStore implements AccountsStore {
  private readonly serialize = createSerialQueue()

  constructor(private readonly db: StringLevel) {}

  createUser(user: User): Promise<void> {
    return this.serialize(async () => {
      if ((await this.db.get(`u!${user.id}`)) !== undefined) throw new MqchatError('conflict', `user ${user.id} already exists`)
      await this.db.put(`u!${user.id}`, JSON.stringify(user))
    })
  }

  async getUser(id: string): Promise<User | null> {
    const value = await this.db.get(`u!${id}`)
    return value === undefined ? null : (JSON.parse(value) as User)
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

  async roomsOf(userId: string): Promise<string[]> {
    const keys = await this.db.keys({ gt: `ur!${userId}!`, lt: `ur!${userId}!~` }).all()
    return keys.map((key) => key.slice(`ur!${userId}!`.length))
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

  private memberOps(type: 'put' | 'del', roomId: string, userId: string): { type: 'put'; key: string; value: string }[] {
    return [
      { type, key: `m!${roomId}!${userId}`, value: '' },
      { type, key: `ur!${userId}!${roomId}`, value: '' }
    ] as { type: 'put'; key: string; value: string }[]
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}
