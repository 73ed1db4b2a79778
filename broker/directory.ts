import { type MembersLoader, type RoomFeedHandle, RoomRoster } from './room-roster.js'

/** The `loading` of every user whose rooms were read. */
const LOADED: Promise<void> = Promise.resolve()

/** A room of a user as read at connect: its id and members. */
export interface RoomMembers {
  id: string
  members: string[]
}

/** What the broker knows about one connected user, shared by all of that user's connections. */
interface ConnectedUser {
  rooms: Set<string>
  connections: number
  /** Set while the user's rooms are being read: changes seen meanwhile, replayed over what was read. */
  journal: Map<string, boolean> | null
  /** The read of the user's rooms: null before it starts and after it failed. */
  loading: Promise<void> | null
  /** Whether `rooms` holds what was read (plus later changes). */
  loaded: boolean
}

/**
 * The users connected to this node, their connection counts (multi-device presence)
 * and their room memberships, kept current as memberships change. Forward-time ACL
 * checks read it synchronously, so a removed member stops receiving at once.
 *
 * A connection is attached before its rooms are read (issue 6 item 10): a membership change
 * that arrives while the read is in flight is journaled and applied over the result, so it is
 * never lost for that connection.
 */
export class UserDirectory {
  private readonly users = new Map<string, ConnectedUser>()
  private readonly roster: RoomRoster

  /** `feed`: the chat log's live feed, followed for exactly the rooms of the users connected here. */
  constructor(loadMembers: MembersLoader, onLoadFailed: (roomId: string, error: unknown) => void, feed?: RoomFeedHandle) {
    this.roster = new RoomRoster(loadMembers, onLoadFailed, feed)
  }

  /** Registers one more connection of the user, before its rooms are known; returns how many it has now. */
  attach(userId: string): number {
    const user = this.users.get(userId)
    if (user) {
      user.connections += 1
      return user.connections
    }
    this.users.set(userId, { rooms: new Set(), connections: 1, journal: new Map(), loading: null, loaded: false })
    return 1
  }

  /**
   * Resolves once the attached user's rooms (and their members) are known and this node is fed
   * those rooms (so CONNACK follows the feed: nothing appended after it is missed); reads them with
   * `readRooms` unless another connection of the user already did or is doing so. The rooms come with
   * their members (one query for a user in 1,000 rooms, not one more per room).
   */
  async load(userId: string, readRooms: () => Promise<RoomMembers[]>): Promise<void> {
    const user = this.users.get(userId)
    if (!user) return
    if (user.loading === null) {
      user.journal ??= new Map()
      user.loading = readRooms().then(
        async (rooms) => {
          const membersOf = new Map(rooms.map((room) => [room.id, room.members]))
          const loaded = new Set(membersOf.keys())
          for (const [room, isMember] of user.journal ?? []) {
            if (isMember) loaded.add(room)
            else loaded.delete(room)
          }
          user.journal = null
          user.rooms = loaded
          user.loaded = true
          // every connection of the user may have closed meanwhile: then nothing is tracked for it
          if (this.users.get(userId) === user) await Promise.all([...loaded].map((room) => this.roster.track(room, membersOf.get(room))))
          // once the rooms are followed, later loads need no promise of their own (48 bytes a user)
          user.loading = LOADED
        },
        (error: unknown) => {
          user.loading = null
          throw error
        }
      )
    }
    await user.loading
  }

  /** Drops one connection of the user; returns how many remain. */
  detach(userId: string): number {
    const user = this.users.get(userId)
    if (!user) return 0
    user.connections -= 1
    if (user.connections <= 0) {
      this.users.delete(userId)
      if (user.loaded) for (const room of user.rooms) this.roster.untrack(room)
    }
    return Math.max(user.connections, 0)
  }

  /** Membership as seen by a connected user; false for users not connected here. */
  isMember(userId: string, roomId: string): boolean {
    return this.users.get(userId)?.rooms.has(roomId) ?? false
  }

  /** Whether connected user `userId` shares a room with `otherId` (or is `otherId`). */
  sharesRoom(userId: string, otherId: string): boolean {
    if (userId === otherId) return this.users.has(userId)
    const rooms = this.users.get(userId)?.rooms
    if (!rooms) return false
    for (const room of rooms) if (this.roster.has(room, otherId)) return true
    return false
  }

  membershipChanged(roomId: string, userId: string, isMember: boolean): void {
    this.roster.changed(roomId, userId, isMember)
    const user = this.users.get(userId)
    if (!user) return
    if (!user.loaded) {
      user.journal?.set(roomId, isMember)
      return
    }
    if (isMember === user.rooms.has(roomId)) return
    if (isMember) {
      user.rooms.add(roomId)
      void this.roster.track(roomId)
    } else {
      user.rooms.delete(roomId)
      this.roster.untrack(roomId)
    }
  }

  /** Re-reads the member lists of the rooms of users connected here (membership-sync.ts, after a gap). */
  refreshRosters(): Promise<void> {
    return this.roster.refresh()
  }

  /** The users connected here (membership-sync.ts re-reads their rooms after a gap in the feed). */
  connectedUsers(): string[] {
    return [...this.users.keys()]
  }

  /** Resolves once this node is fed the room (a room joined while connected is followed in the background). */
  roomReady(roomId: string): Promise<void> {
    return this.roster.ready(roomId)
  }

  /** Rooms of a connected user (empty for users not connected here). */
  roomsOf(userId: string): string[] {
    return [...(this.users.get(userId)?.rooms ?? [])]
  }
}
