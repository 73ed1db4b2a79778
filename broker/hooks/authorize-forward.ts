import { isInboxOf, type RoomChannel, roomChannelOf, roomIdOf, type TopicKindName, topicKindOf } from '../../core/topics.js'
import type { BrokerContext, Identity } from '../context.js'

/**
 * The last topic asked about, parsed: a fan-out asks about the same topic for every subscriber in
 * a row, and parsing it each time was a tenth of the broker's time in the S1 bench.
 */
const last: { topic: string; kind: TopicKindName; channel: RoomChannel | null; room: string } = {
  topic: '',
  kind: 'generic',
  channel: null,
  room: ''
}

function read(topic: string): void {
  const kind = topicKindOf(topic)
  last.kind = kind
  last.channel = kind === 'room' ? roomChannelOf(topic) : null
  last.room = kind === 'room' ? roomIdOf(topic) : ''
  last.topic = topic
}

/**
 * Runs for every delivery, including queued ones and wildcard matches, so a user
 * removed from a room stops receiving at once. Kept allocation-free: it is the hot path.
 */
export function mayReceive(ctx: BrokerContext, identity: Identity | undefined, topic: string): boolean {
  if (!identity) return false
  const userId = identity.userId
  if (topic !== last.topic) read(topic)
  const kind = last.kind
  switch (kind) {
    case 'room':
      return userId !== null && membersReceive(last.channel as RoomChannel) && ctx.directory.isMember(userId, last.room)
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
