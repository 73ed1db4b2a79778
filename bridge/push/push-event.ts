import type { Envelope } from '../../core/message.js'

/** The body of one push POST (docs/protocol.md, Offline push). */
export interface PushEvent {
  type: 'message'
  room: string
  seq: number
  from: string
  preview: string
  recipients: string[]
}

/** Entries of the room's stream that are not messages of their own (issue 9 part 1): never pushed. */
const RELATION_TYPES = new Set(['edit', 'delete', 'reaction'])

export const PREVIEW_CHARS = 140

/** Whether the entry is a message that counts for unread badges and push. */
export function isCountable(envelope: Envelope): boolean {
  return !RELATION_TYPES.has(envelope.type)
}

/** The start of the body, cut on a code point boundary. */
export function previewOf(envelope: Envelope): string {
  const chars = Array.from(envelope.body ?? '')
  return chars.length <= PREVIEW_CHARS ? chars.join('') : `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…`
}

/** `<room>:<seq>`: the same for every retry and redelivery of one message, for dedupe on the receiver. */
export function deliveryId(event: Pick<PushEvent, 'room' | 'seq'>): string {
  return `${event.room}:${event.seq}`
}
