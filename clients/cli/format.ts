import type { Envelope, Room } from '../sdk/index.js'

const pad = (n: number) => String(n).padStart(2, '0')

/** C0/C1 controls (escape sequences, carriage returns) and the Unicode bidi controls. */
const UNSAFE = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * Text from other users as the terminal shows it: control and bidi characters written as escapes
 * (`\n`, `\x1b`, `\u202e`), so that a message cannot move the cursor, recolor, clear or reorder the screen.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const named = NAMED[char]
    if (named) return named
    const code = char.codePointAt(0) ?? 0
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** Local time: `HH:MM:SS` today, `YYYY-MM-DD HH:MM:SS` on other days. */
export function localTime(ts: number, now = new Date()): string {
  const date = new Date(ts)
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  if (date.toDateString() === now.toDateString()) return time
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`
}

/** `#12 [14:03:07] alice: hello`; attachments and non-text types are noted after the body. */
export function formatMessage(message: Envelope): string {
  const extras: string[] = []
  if (message.type !== 'text') extras.push(`type ${message.type}`)
  if (message.replyTo !== undefined) extras.push(`reply to #${message.replyTo}`)
  if (message.attachments?.length) extras.push(`${message.attachments.length} attachment(s)`)
  const note = extras.length > 0 ? ` (${extras.join(', ')})` : ''
  return `#${message.seq} [${localTime(message.ts)}] ${message.from}: ${escapeControls(message.body)}${note}`
}

/** Rooms as an aligned table: ID, NAME, KIND, MEMBERS. */
export function formatRoomTable(rooms: Room[]): string {
  const rows = [
    ['ID', 'NAME', 'KIND', 'MEMBERS'],
    ...rooms.map((room) => [room.id, escapeControls(room.name), room.kind, room.members.join(',')])
  ]
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)))
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd()
    )
    .join('\n')
}

/** One line about one room: `general (r_abc, group): alice, bob`. */
export function describeRoom(room: Room): string {
  return `${escapeControls(room.name)} (${room.id}, ${room.kind}): ${room.members.join(', ')}`
}
