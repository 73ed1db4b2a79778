export interface User {
  id: string
  displayName: string
  /** scrypt hash, `scrypt$N$r$p$salt$hash` (never returned by the API). */
  passwordHash: string
  createdAt: number
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
 * - `createUser` and `createRoom` fail with a `conflict` MqchatError when the id exists.
 * - `addMember` / `removeMember` are idempotent and report whether they changed anything.
 * - `roomsOf(user)` and `getRoom(id).members` always agree.
 */
export interface AccountsStore {
  createUser(user: User): Promise<void>
  getUser(id: string): Promise<User | null>
  createRoom(room: Room): Promise<void>
  getRoom(id: string): Promise<Room | null>
  /** Room ids the user is a member of. */
  roomsOf(userId: string): Promise<string[]>
  addMember(roomId: string, userId: string): Promise<boolean>
  removeMember(roomId: string, userId: string): Promise<boolean>
  close(): Promise<void>
}
