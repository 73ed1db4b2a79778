import { isId } from '../../core/ids.js'
import { isSystemTopic, parseTopic, type RoomChannel } from '../../core/topics.js'
import type { BrokerContext, Identity } from '../context.js'

/**
 * SUBSCRIBE ACL (SPEC §3). Exact topics are checked here; wildcard filters are
 * allowed and every message they match is checked again at forward time.
 */
export function canSubscribe(ctx: BrokerContext, identity: Identity | undefined, filter: string): boolean {
  if (!identity || isSystemTopic(filter)) return false
  const userId = identity.userId
  if (filter.includes('+') || filter.includes('#')) {
    if (userId === null) return ctx.options.genericTopics
    const [root, id] = filter.split('/')
    if (root === 'rooms' && isId(id)) return ctx.directory.isMember(userId, id)
    if (root === 'users' && isId(id)) return id === userId
    // a filter that can match no chat topic can only ever deliver generic topics
    if (root !== 'rooms' && root !== 'users' && root !== 'presence' && root !== '+' && root !== '#') return ctx.options.genericTopics
    return true
  }
  const topic = parseTopic(filter)
  switch (topic.kind) {
    case 'room':
      return userId !== null && membersSubscribe(topic.channel) && ctx.directory.isMember(userId, topic.roomId)
    case 'inbox':
      return topic.userId === userId
    case 'presence':
      // only the presence of someone you share a room with (issue 6 item 8: no enumeration)
      return userId !== null && ctx.directory.sharesRoom(userId, topic.userId)
    case 'generic':
      return ctx.options.genericTopics
    case 'reserved-invalid':
    case 'system':
      return false
    default:
      return topic satisfies never
  }
}

/** Members may subscribe to every room channel; a new channel does not compile until decided here. */
function membersSubscribe(channel: RoomChannel): boolean {
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
