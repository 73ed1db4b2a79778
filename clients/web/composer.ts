import { h } from 'preact'
import { useRef, useState } from 'preact/hooks'
import type { ChatSession } from './session.js'

/** Signals typing at most this often while keys are pressed. */
const TYPING_EVERY_MS = 3000

/** The message box: Enter sends, typing is signalled while the user types. */
export function Composer({ session, roomId, title }: { session: ChatSession; roomId: string; title: string }) {
  const [text, setText] = useState('')
  const lastTyping = useRef(0)
  const submit = (event: Event) => {
    event.preventDefault()
    const body = text.trim()
    if (!body) return
    session.send(roomId, body)
    setText('')
    lastTyping.current = 0
  }
  const onInput = (event: Event) => {
    setText((event.target as HTMLInputElement).value)
    const now = Date.now()
    if (now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now
      session.typingNow(roomId)
    }
  }
  return h(
    'form',
    { class: 'composer', onSubmit: submit },
    h('label', { for: 'message', class: 'visually-hidden' }, `Message ${title}`),
    h('input', { id: 'message', autocomplete: 'off', placeholder: `Message ${title}`, maxLength: 4000, value: text, onInput }),
    h('button', { type: 'submit', disabled: !text.trim() }, 'Send')
  )
}
