import { h } from 'preact'
import { ChatPane } from './chat-pane.js'
import { RoomList } from './room-list.js'
import type { ChatSession } from './session.js'
import { useSession } from './use-session.js'

const STATUS_TEXT = { connecting: 'Connecting…', reconnecting: 'Reconnecting…', closed: 'Disconnected', online: 'Connected' }

/** Header with the connection state, the room list and the open room (one of the two on a phone). */
export function ChatShell({ session, onSignOut }: { session: ChatSession; onSignOut(): void }) {
  useSession(session)
  const status = STATUS_TEXT[session.status]
  return h(
    'div',
    { class: 'shell', 'data-pane': session.active ? 'chat' : 'rooms' },
    h(
      'header',
      { class: 'top' },
      h('h1', null, 'mqchat'),
      // role=status: screen readers announce the change to "Reconnecting…" and back
      h('p', { class: `conn conn-${session.status}`, role: 'status', 'data-status': session.status }, status),
      h('span', { class: 'me' }, session.login.displayName),
      h('button', { type: 'button', onClick: onSignOut }, 'Sign out')
    ),
    session.expired
      ? h(
          'p',
          { class: 'error banner', role: 'alert' },
          'Your sign-in has expired or was revoked. ',
          h('button', { type: 'button', onClick: onSignOut }, 'Sign in again')
        )
      : null,
    session.error
      ? h(
          'p',
          { class: 'error banner', role: 'alert' },
          session.error,
          h('button', { type: 'button', class: 'link', onClick: () => session.dismissError() }, 'Dismiss')
        )
      : null,
    h(RoomList, { session }),
    session.active
      ? h(ChatPane, { session, roomId: session.active, key: session.active })
      : h('main', { class: 'empty' }, h('p', null, 'Pick a room or start a new one.'))
  )
}
