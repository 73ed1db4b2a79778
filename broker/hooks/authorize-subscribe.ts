import { isId } from '../../core/ids.js'
import { isSystemTopic, parseTopic } from '../../core/topics.js'
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
    return true
  }
  const topic = parseTopic(filter)
  switch (topic.kind) {
    case 'room':
      return userId !== null && ctx.directory.isMember(userId, topic.roomId)
    case 'inbox':
      return topic.userId === userId
    case 'presence':
      return userId !== null
    case 'generic':
      return ctx.options.genericTopics
    case 'reserved-invalid':
    case 'system':
      return false
  }
}
