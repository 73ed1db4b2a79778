import { h } from 'preact'
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks'
import type { Envelope } from '../sdk/index.js'
import type { ChatSession, PendingSend } from './session.js'

/** Within this many pixels of the top, the next older page loads; of the bottom, new messages keep it in view. */
const EDGE_PX = 48

/**
 * The room's messages, oldest at the top. Scrolling to the top loads the page before (the view stays on
 * the message you were reading); new messages scroll into view only if you were at the bottom.
 */
export function MessageList({ session, roomId, title }: { session: ChatSession; roomId: string; title: string }) {
  const room = session.messages.get(roomId)
  const list = room?.list ?? []
  const pending = session.pending.filter((send) => send.room === roomId)
  const box = useRef<HTMLOListElement>(null)
  const seen = useRef({ height: 0, top: 0, first: 0, atBottom: true })

  useLayoutEffect(() => {
    const el = box.current
    if (!el) return
    const before = seen.current
    const first = list[0]?.seq ?? 0
    if (before.first && first && first < before.first) el.scrollTop = before.top + (el.scrollHeight - before.height)
    else if (before.atBottom) el.scrollTop = el.scrollHeight
    remember()
    // a first page shorter than the box cannot be scrolled up: fetch older pages until it can
    if (room?.loaded && room.hasOlder && !room.loadingOlder && el.scrollHeight <= el.clientHeight) void session.loadOlder(roomId)
  })

  const remember = () => {
    const el = box.current
    if (!el) return
    seen.current = {
      height: el.scrollHeight,
      top: el.scrollTop,
      first: list[0]?.seq ?? 0,
      atBottom: el.scrollHeight - el.scrollTop - el.clientHeight < EDGE_PX
    }
  }
  const onScroll = () => {
    remember()
    if ((box.current?.scrollTop ?? 1) < EDGE_PX) void session.loadOlder(roomId)
  }

  const newest = list[list.length - 1]?.seq
  // the open room's newest message is read: the pointer moves (once per seq; the SDK publishes it)
  useEffect(() => {
    if (newest !== undefined) session.markRead(roomId, newest)
  }, [session, roomId, newest])
  return h(
    'ol',
    // role=log: assistive technology reads out messages added at the end (polite)
    { class: 'messages', ref: box, onScroll, role: 'log', 'aria-live': 'polite', 'aria-label': `Messages in ${title}`, tabIndex: 0 },
    room?.loadingOlder ? h('li', { class: 'older', role: 'status' }, 'Loading older messages…') : null,
    room?.loaded && !room.hasOlder ? h('li', { class: 'older' }, 'Beginning of the conversation') : null,
    list.map((message) => h(MessageItem, { key: message.seq, message, mine: message.from === session.login.userId })),
    pending.map((send) => h(PendingItem, { key: send.id, send, onRetry: () => session.send(roomId, send.body, send.id) }))
  )
}

function MessageItem({ message, mine }: { message: Envelope; mine: boolean }) {
  const time = new Date(message.ts)
  return h(
    'li',
    { class: mine ? 'msg mine' : 'msg', 'data-seq': message.seq },
    h(
      'div',
      { class: 'meta' },
      h('span', { class: 'from' }, message.from),
      h('time', { dateTime: time.toISOString(), title: time.toLocaleString() }, clock(time))
    ),
    h('p', { class: 'body' }, message.body)
  )
}

function PendingItem({ send, onRetry }: { send: PendingSend; onRetry(): void }) {
  return h(
    'li',
    { class: send.failed ? 'msg mine failed' : 'msg mine sending', 'data-pending': send.id },
    h(
      'div',
      { class: 'meta' },
      h('span', { class: 'from' }, 'you'),
      send.failed
        ? h(
            'span',
            { class: 'state', role: 'alert' },
            `Not sent (${send.failed}) `,
            h('button', { type: 'button', onClick: onRetry }, 'Retry')
          )
        : h('span', { class: 'state' }, 'Sending…')
    ),
    h('p', { class: 'body' }, send.body)
  )
}

function clock(time: Date): string {
  return time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}
