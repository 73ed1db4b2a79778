import { isId } from './ids.js'

export type RoomChannel = 'messages' | 'events' | 'typing' | 'receipts'

/** What a concrete (wildcard-free) topic means to mqchat. */
export type TopicKind =
  | { kind: 'room'; roomId: string; channel: RoomChannel }
  | { kind: 'inbox'; userId: string }
  | { kind: 'presence'; userId: string }
  /** Under a reserved prefix (rooms/, users/, presence/) but not a valid chat topic. */
  | { kind: 'reserved-invalid' }
  | { kind: 'system' }
  | { kind: 'generic' }

const ROOM_CHANNELS = new Set<string>(['messages', 'events', 'typing', 'receipts'])

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
      if (parts.length === 3 && isId(id) && channel !== undefined && ROOM_CHANNELS.has(channel)) {
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
