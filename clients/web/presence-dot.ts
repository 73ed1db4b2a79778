import { h } from 'preact'
import type { ChatSession } from './session.js'

/** A green or grey dot, with the state as text for screen readers. */
export function PresenceDot({ session, userId }: { session: ChatSession; userId: string }) {
  const online = session.presence.get(userId) === 'online'
  return h('span', {
    class: `dot ${online ? 'online' : 'offline'}`,
    role: 'img',
    'aria-label': `${userId} is ${online ? 'online' : 'offline'}`,
    title: online ? 'online' : 'offline'
  })
}
