import { h } from 'preact'
import { useState } from 'preact/hooks'
import type { ChatError, Room } from '../sdk/index.js'
import { PresenceDot } from './presence-dot.js'
import type { ChatSession } from './session.js'

/** The rooms you are in, with unread counts, and a form to start a group or a direct room. */
export function RoomList({ session }: { session: ChatSession }) {
  return h(
    'nav',
    { class: 'rooms', 'aria-label': 'Rooms' },
    h('h2', null, 'Rooms'),
    session.rooms.length === 0 ? h('p', { class: 'hint' }, 'No rooms yet.') : null,
    h(
      'ul',
      null,
      session.rooms.map((room) => {
        const unread = session.messages.get(room.id)?.unread ?? 0
        const other = directPeer(room, session.login.userId)
        return h(
          'li',
          { key: room.id },
          h(
            'button',
            {
              type: 'button',
              class: 'room',
              'aria-current': session.active === room.id ? 'true' : undefined,
              onClick: () => void session.open(room.id)
            },
            other ? h(PresenceDot, { session, userId: other }) : h('span', { class: 'hash', 'aria-hidden': 'true' }, '#'),
            h('span', { class: 'name' }, roomTitle(room, session.login.userId)),
            unread > 0 ? h('span', { class: 'badge', 'aria-label': `${unread} unread` }, String(unread)) : null
          )
        )
      })
    ),
    h(NewRoomForm, { session })
  )
}

function NewRoomForm({ session }: { session: ChatSession }) {
  const [name, setName] = useState('')
  const [members, setMembers] = useState('')
  const [direct, setDirect] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const submit = async (event: Event) => {
    event.preventDefault()
    setError(null)
    const list = members.split(/[\s,]+/).filter(Boolean)
    try {
      const room = await session.createRoom({ name: name.trim() || list.join(', '), members: list, kind: direct ? 'direct' : 'group' })
      setName('')
      setMembers('')
      await session.open(room.id)
    } catch (failure) {
      const code = (failure as ChatError).code
      setError(code === 'cannot_add' ? 'No such user (check the usernames).' : (failure as Error).message)
    }
  }
  return h(
    'form',
    { class: 'new-room', onSubmit: submit },
    h('h2', null, 'New room'),
    h('label', { for: 'new-room-name' }, 'Name'),
    h('input', { id: 'new-room-name', value: name, maxLength: 100, onInput: (e: Event) => setName((e.target as HTMLInputElement).value) }),
    h('label', { for: 'new-room-members' }, 'Members (usernames, comma separated)'),
    h('input', {
      id: 'new-room-members',
      value: members,
      onInput: (e: Event) => setMembers((e.target as HTMLInputElement).value)
    }),
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'checkbox', checked: direct, onChange: (e: Event) => setDirect((e.target as HTMLInputElement).checked) }),
      ' Direct message (one member)'
    ),
    error ? h('p', { class: 'error', role: 'alert' }, error) : null,
    h('button', { type: 'submit' }, 'Create room')
  )
}

/** The other member of a direct room, whose presence the list shows. */
export function directPeer(room: Room, me: string): string | undefined {
  return room.kind === 'direct' ? room.members.find((member) => member !== me) : undefined
}

export function roomTitle(room: Room, me: string): string {
  return directPeer(room, me) ?? room.name
}
