import { isInboxOf, type RoomChannel, roomChannelOf, roomIdOf, topicKindOf } from '../../core/topics.js'
import type { BrokerContext, Identity } from '../context.js'

/**
 * Runs for every delivery, including queued ones and wildcard matches, so a user
 * removed from a room stops receiving at once. Kept allocation-free: it is the hot path.
 */
export function mayReceive(ctx: BrokerContext, identity: Identity | undefined, topic: string): boolean {
  if (!identity) return false
  const userId = identity.userId
  const kind = topicKindOf(topic)
  switch (kind) {
    case 'room':
      return userId !== null && membersReceive(roomChannelOf(topic) as RoomChannel) && ctx.directory.isMember(userId, roomIdOf(topic))
    case 'inbox':
      return userId !== null && isInboxOf(topic, userId)
    case 'presence':
      // wildcards and retained presence: only users who share a room with its subject
      return userId !== null && ctx.directory.sharesRoom(userId, topic.slice(9))
    case 'system':
    case 'reserved-invalid':
      return false
    case 'generic':
      return ctx.options.genericTopics
    default:
      return kind satisfies never
  }
}

/** Every room channel goes to the room's members; a new channel does not compile until decided here. */
function membersReceive(channel: RoomChannel): boolean {
  switch (channel) {
    case 'messages':
    case 'events':
    case 'typing':
    case 'receipts':
      return true
    default:
      return channel satisfies never
  }
}
