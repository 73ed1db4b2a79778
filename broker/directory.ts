/** What the broker knows about one connected user, shared by all of that user's connections. */
interface ConnectedUser {
  rooms: Set<string>
  connections: number
}

/**
 * The users connected to this node, their connection counts (multi-device presence)
 * and their room memberships, kept current as memberships change. Forward-time ACL
 * checks read it synchronously, so a removed member stops receiving at once.
 */
export class UserDirectory {
  private readonly users = new Map<string, ConnectedUser>()

  /** Registers one more connection of the user; returns how many it has now. */
  attach(userId: string, rooms: Iterable<string>): number {
    const user = this.users.get(userId)
    if (user) {
      user.connections += 1
      return user.connections
    }
    this.users.set(userId, { rooms: new Set(rooms), connections: 1 })
    return 1
  }

  /** Drops one connection of the user; returns how many remain. */
  detach(userId: string): number {
    const user = this.users.get(userId)
    if (!user) return 0
    user.connections -= 1
    if (user.connections <= 0) this.users.delete(userId)
    return Math.max(user.connections, 0)
  }

  /** Membership as seen by a connected user; false for users not connected here. */
  isMember(userId: string, roomId: string): boolean {
    return this.users.get(userId)?.rooms.has(roomId) ?? false
  }

  membershipChanged(roomId: string, userId: string, isMember: boolean): void {
    const rooms = this.users.get(userId)?.rooms
    if (!rooms) return
    if (isMember) rooms.add(roomId)
    else rooms.delete(roomId)
  }

  /** The users connected here (membership-sync.ts re-reads their rooms after a gap in the feed). */
  connectedUsers(): string[] {
    return [...this.users.keys()]
  }

  /** Rooms of a connected user (empty for users not connected here). */
  roomsOf(userId: string): string[] {
    return [...(this.users.get(userId)?.rooms ?? [])]
  }
}
