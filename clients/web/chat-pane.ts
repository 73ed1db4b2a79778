import { h } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { Composer } from './composer.js'
import { MessageList } from './message-list.js'
import { PresenceDot } from './presence-dot.js'
import { roomTitle } from './room-list.js'
import type { ChatSession } from './session.js'

/** The open room: title, members with presence, adding a member, messages, who is typing, the composer. */
export function ChatPane({ session, roomId }: { session: ChatSession; roomId: string }) {
  const room = session.rooms.find((item) => item.id === roomId)
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])
  if (!room) return h('main', { class: 'chat' }, h('p', null, 'This room is gone.'))
  const title = roomTitle(room, session.login.userId)
  const typing = session.typing.in(roomId)
  return h(
    'main',
    { class: 'chat', 'aria-labelledby': 'room-title' },
    h(
      'header',
      { class: 'room-head' },
      h('button', { type: 'button', class: 'back', onClick: () => session.close(), 'aria-label': 'Back to rooms' }, '‹'),
      h('h2', { id: 'room-title', tabIndex: -1, ref: heading }, title),
      h(
        'ul',
        { class: 'members', 'aria-label': 'Members' },
        room.members.map((member) => h('li', { key: member }, h(PresenceDot, { session, userId: member }), member))
      ),
      room.kind === 'group' ? h(AddMember, { session, roomId }) : null
    ),
    h(MessageList, { session, roomId, title }),
    h('p', { class: 'typing', 'aria-live': 'polite' }, typingText(typing)),
    h(Composer, { session, roomId, title })
  )
}

function AddMember({ session, roomId }: { session: ChatSession; roomId: string }) {
  const [userId, setUserId] = useState('')
  const [error, setError] = useState<string | null>(null)
  const submit = async (event: Event) => {
    event.preventDefault()
    setError(null)
    try {
      await session.addMember(roomId, userId.trim())
      setUserId('')
    } catch (failure) {
      const code = (failure as { code?: string }).code
      setError(code === 'cannot_add' ? 'No such user.' : (failure as Error).message)
    }
  }
  return h(
    'form',
    { class: 'add-member', onSubmit: submit },
    h('label', { for: 'add-member' }, 'Add member'),
    h('input', {
      id: 'add-member',
      required: true,
      placeholder: 'username',
      value: userId,
      onInput: (e: Event) => setUserId((e.target as HTMLInputElement).value)
    }),
    h('button', { type: 'submit' }, 'Add'),
    error ? h('span', { class: 'error', role: 'alert' }, error) : null
  )
}

function typingText(users: string[]): string {
  if (users.length === 0) return ''
  if (users.length === 1) return `${users[0]} is typing…`
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`
  return 'Several people are typing…'
}
