import { unknownRoom } from '../../core/errors.js'
import { ID_PATTERN } from '../../core/ids.js'
import type { AccountsStore, Room } from './accounts-store.js'

/**
 * The one membership check of the REST API and the chat pipeline: the room, if `userId` is a
 * member; otherwise the same `unknown_room` as for a room that does not exist, so a stranger
 * learns neither (issue 6, item 8).
 */
export async function roomForMember(accounts: AccountsStore, roomId: string, userId: string): Promise<Room> {
  const room = ID_PATTERN.test(roomId) ? await accounts.getRoom(roomId) : null
  if (!room?.members.includes(userId)) throw unknownRoom(roomId)
  return room
}
