export interface User {
  id: string
  displayName: string
  /** scrypt hash, `scrypt$N$r$p$salt$hash` (never returned by the API). */
  passwordHash: string
  createdAt: number
}

export interface RoomsPage {
  after?: string
  limit?: number
}

export type RoomKind = 'group' | 'direct'

export interface Room {
  id: string
  name: string
  kind: RoomKind
  createdBy: string
  createdAt: number
  members: string[]
}

/**
 * Users, rooms and memberships.
 *
 * Guarantees every implementation keeps (checked by `describeAccountsContract`):
 * - `createUser` and `createRoom` fail with a `conflict` MqchatError when the id exists; user ids
 *   are unique ignoring letter case (`Alice` and `alice` cannot both exist).
 * - `addMember` / `removeMember` are idempotent and report whether they changed anything.
 * - `roomsOf(user)`, `roomPageOf(user)` and `getRoom(id).members` always agree.
 */
export interface AccountsStore {
  /** Fails with `conflict` also when the id differs from an existing one only in letter case. */
  createUser(user: User): Promise<void>
  getUser(id: string): Promise<User | null>
  /** The user whose id equals `name` ignoring letter case (login). */
  findUserByName(name: string): Promise<User | null>
  /** Users in id order, after `after`, whose id starts with `prefix` (admin listing). */
  listUsers(query: { prefix?: string; after?: string; limit: number }): Promise<User[]>
  /** Replaces the user's password hash; false when there is no such user. */
  setPasswordHash(id: string, passwordHash: string): Promise<boolean>
  createRoom(room: Room): Promise<void>
  getRoom(id: string): Promise<Room | null>
  /** Deletes the room and its memberships; false when there is no such room. */
  deleteRoom(id: string): Promise<boolean>
  /** Room ids the user is a member of, in id order; with a page, those after `after`, at most `limit`. */
  roomsOf(userId: string, page?: RoomsPage): Promise<string[]>
  /** The same page as `roomsOf`, as whole rooms: one query (`GET /v1/rooms`), not one per room. */
  roomPageOf(userId: string, page?: RoomsPage): Promise<Room[]>
  addMember(roomId: string, userId: string): Promise<boolean>
  removeMember(roomId: string, userId: string): Promise<boolean>
  close(): Promise<void>
}
