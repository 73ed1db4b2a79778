import { isId } from './ids.js'

/** Every channel of a room. Adding one fails to compile until each ACL hook decides who gets it. */
export const ROOM_CHANNELS = ['messages', 'events', 'typing', 'receipts'] as const
export type RoomChannel = (typeof ROOM_CHANNELS)[number]

/** What a concrete (wildcard-free) topic means to mqchat. */
export type TopicKind =
  | { kind: 'room'; roomId: string; channel: RoomChannel }
  | { kind: 'inbox'; userId: string }
  | { kind: 'presence'; userId: string }
  /** Under a reserved prefix (rooms/, users/, presence/) but not a valid chat topic. */
  | { kind: 'reserved-invalid' }
  | { kind: 'system' }
  | { kind: 'generic' }

export type TopicKindName = TopicKind['kind']

const CHANNEL_SET = new Set<string>(ROOM_CHANNELS)

/**
 * `$SYS/...` (the broker's own) and `$mqchat/...` (mqchat's internal topics) are never written by
 * clients. Other `$` topics are ordinary generic topics that wildcards do not match ([MQTT-4.7.2-1];
 * Aedes skips them for filters starting with + or #).
 */
export function isSystemTopic(topic: string): boolean {
  if (topic.charCodeAt(0) !== 36) return false
  return topic === '$SYS' || topic.startsWith('$SYS/') || topic === '$mqchat' || topic.startsWith('$mqchat/')
}

export function parseTopic(topic: string): TopicKind {
  if (topic.charCodeAt(0) === 36) return isSystemTopic(topic) ? { kind: 'system' } : { kind: 'generic' }
  const parts = topic.split('/')
  const [root, id, channel] = parts
  switch (root) {
    case 'rooms':
      if (parts.length === 3 && isId(id) && channel !== undefined && CHANNEL_SET.has(channel)) {
        return { kind: 'room', roomId: id, channel: channel as RoomChannel }
      }
      return { kind: 'reserved-invalid' }
    case 'users':
      if (parts.length === 3 && isId(id) && channel === 'inbox') return { kind: 'inbox', userId: id }
      return { kind: 'reserved-invalid' }
    case 'presence':
      if (parts.length === 2 && isId(id)) return { kind: 'presence', userId: id }
      return { kind: 'reserved-invalid' }
    default:
      return { kind: 'generic' }
  }
}

export const topics = {
  roomMessages: (roomId: string) => `rooms/${roomId}/messages`,
  roomEvents: (roomId: string) => `rooms/${roomId}/events`,
  roomTyping: (roomId: string) => `rooms/${roomId}/typing`,
  roomReceipts: (roomId: string) => `rooms/${roomId}/receipts`,
  inbox: (userId: string) => `users/${userId}/inbox`,
  presence: (userId: string) => `presence/${userId}`
}

/** Whether an MQTT topic filter (with + and #) matches a concrete topic. */
export function matchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false
  }
  return f.length === t.length
}

/** `rooms/{roomId}/messages` -> roomId, without allocating for other topics. */
export function chatRoomOf(topic: string): string | null {
  if (!topic.startsWith('rooms/') || !topic.endsWith('/messages')) return null
  const room = topic.slice(6, -9)
  return room.length > 0 && !room.includes('/') ? room : null
}

/** The room a subscription filter names, `rooms/<id>/…` (exact or with a wildcard after the id); null otherwise. */
export function roomOfFilter(filter: string): string | null {
  if (!filter.startsWith('rooms/')) return null
  const end = filter.indexOf('/', 6)
  const room = filter.slice(6, end === -1 ? undefined : end)
  return isId(room) ? room : null
}

/*
 * Fast matchers for the hot paths (authorizeForward runs per delivery): they read the topic in
 * place and allocate nothing, and agree with parseTopic on every topic (test/unit/topics.test.ts).
 */

/** Whether `topic[start, end)` is an id, `[A-Za-z0-9_-]{1,64}` (core/ids.ts). */
function isIdAt(topic: string, start: number, end: number): boolean {
  if (end - start < 1 || end - start > 64) return false
  for (let i = start; i < end; i++) {
    const c = topic.charCodeAt(i)
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45
    if (!ok) return false
  }
  return true
}

/** The channel of a valid `rooms/{roomId}/{channel}` topic, else null. */
export function roomChannelOf(topic: string): RoomChannel | null {
  if (!topic.startsWith('rooms/')) return null
  const end = topic.indexOf('/', 6)
  if (end < 0 || !isIdAt(topic, 6, end)) return null
  const length = topic.length - end - 1
  for (let i = 0; i < ROOM_CHANNELS.length; i++) {
    const channel = ROOM_CHANNELS[i] as RoomChannel
    if (channel.length === length && topic.startsWith(channel, end + 1)) return channel
  }
  return null
}

/** The room of a topic `roomChannelOf` accepted. */
export function roomIdOf(topic: string): string {
  return topic.slice(6, topic.indexOf('/', 6))
}

/** Whether `topic` is `users/{userId}/inbox` for exactly this user. */
export function isInboxOf(topic: string, userId: string): boolean {
  return topic.length === 12 + userId.length && topic.startsWith('users/') && topic.startsWith(userId, 6) && topic.endsWith('/inbox')
}

/** `parseTopic(topic).kind`, without splitting the topic. */
export function topicKindOf(topic: string): TopicKindName {
  if (topic.charCodeAt(0) === 36) return isSystemTopic(topic) ? 'system' : 'generic'
  if (topic.startsWith('rooms/')) return roomChannelOf(topic) === null ? 'reserved-invalid' : 'room'
  if (topic.startsWith('users/')) {
    const end = topic.indexOf('/', 6)
    return end > 0 && isIdAt(topic, 6, end) && topic.length === end + 6 && topic.endsWith('/inbox') ? 'inbox' : 'reserved-invalid'
  }
  if (topic.startsWith('presence/')) return isIdAt(topic, 9, topic.length) ? 'presence' : 'reserved-invalid'
  return topic === 'rooms' || topic === 'users' || topic === 'presence' ? 'reserved-invalid' : 'generic'
}
