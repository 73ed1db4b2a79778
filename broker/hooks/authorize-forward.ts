import type { BrokerContext, Identity } from '../context.js'

/**
 * Runs for every delivery, including queued ones and wildcard matches, so a user
 * removed from a room stops receiving at once. Kept allocation-free: it is the hot path.
 */
export function mayReceive(ctx: BrokerContext, identity: Identity | undefined, topic: string): boolean {
  if (!identity) return false
  const userId = identity.userId
  if (topic.startsWith('rooms/')) {
    const end = topic.indexOf('/', 6)
    return userId !== null && end > 6 && ctx.directory.isMember(userId, topic.slice(6, end))
  }
  if (topic.startsWith('users/')) {
    return userId !== null && topic.length === 6 + userId.length + 6 && topic.startsWith(userId, 6) && topic.endsWith('/inbox')
  }
  // wildcards and retained presence: only users who share a room with its subject
  if (topic.startsWith('presence/')) return userId !== null && ctx.directory.sharesRoom(userId, topic.slice(9))
  if (topic.startsWith('$mqchat/')) return false
  return ctx.options.genericTopics
}
