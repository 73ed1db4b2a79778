import { type Envelope, isRelationType } from '../../core/message.js'

/** The body of one push POST (docs/protocol.md, Offline push). */
export interface PushEvent {
  type: 'message'
  room: string
  seq: number
  from: string
  preview: string
  recipients: string[]
}

export const PREVIEW_CHARS = 140

/** Whether the entry is a message that counts for unread badges and push: relation entries (edits, deletes, reactions) never do. */
export function isCountable(envelope: Envelope): boolean {
  return !isRelationType(envelope.type)
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
