import { z } from 'zod'
import { ID_PATTERN } from './ids.js'
import type { Envelope } from './message.js'

/**
 * The one codec of the chat envelope (SPEC §4): what subscribers receive, the chat logs store
 * and history returns. Field order is fixed here (id, room, seq, from, ts, type, body, then the
 * optional fields), so every writer produces the same bytes for the same message.
 */

export type { Envelope } from './message.js'

/** An envelope as read from the wire or a store; unknown fields are kept (additive evolution). */
export const envelopeSchema = z.looseObject({
  id: z.string().regex(ID_PATTERN),
  room: z.string().regex(ID_PATTERN),
  seq: z.number().int().positive(),
  from: z.string().min(1),
  ts: z.number().int().nonnegative(),
  type: z.string(),
  body: z.string(),
  replyTo: z.number().int().positive().optional(),
  attachments: z.array(z.record(z.string(), z.unknown())).optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  target: z.number().int().positive().optional(),
  key: z.string().optional(),
  op: z.enum(['add', 'remove']).optional(),
  edited: z.number().int().nonnegative().optional(),
  deleted: z.boolean().optional(),
  reactions: z.record(z.string(), z.array(z.string())).optional()
}) satisfies z.ZodType<Envelope>

/** What a sender's message contributes; the log adds `seq` and `ts`. */
export type EnvelopeFields = Omit<Envelope, 'seq' | 'ts'>

/** The envelope with its fields in the codec's order (relation and current-state fields last). */
export function buildEnvelope(message: EnvelopeFields, seq: number, ts: number): Envelope {
  const { id, room, from, body, type, replyTo, attachments, meta, target, key, op, edited, deleted, reactions } = message
  const envelope: Envelope = { id, room, seq, from, ts, type, body }
  if (replyTo !== undefined) envelope.replyTo = replyTo
  if (attachments !== undefined) envelope.attachments = attachments
  if (meta !== undefined) envelope.meta = meta
  if (target !== undefined) envelope.target = target
  if (key !== undefined) envelope.key = key
  if (op !== undefined) envelope.op = op
  if (edited !== undefined) envelope.edited = edited
  if (deleted !== undefined) envelope.deleted = deleted
  if (reactions !== undefined) envelope.reactions = reactions
  return envelope
}

/** The envelope's JSON. Throws for a value JSON cannot hold (callers refuse that message only). */
export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(buildEnvelope(envelope, envelope.seq, envelope.ts))
}

/**
 * The envelope's JSON around its `seq`, for a writer that learns the seq later (the Redis
 * append script): `head + seq + tail` is exactly `encodeEnvelope` of the envelope.
 */
export function splitEnvelope(message: EnvelopeFields, ts: number): { head: string; tail: string } {
  const json = JSON.stringify(buildEnvelope(message, 0, ts))
  // ids cannot contain quotes, so the first `,"seq":0,` is the envelope's own seq (third field)
  const marker = ',"seq":0,'
  const at = json.indexOf(marker)
  return { head: json.slice(0, at + marker.length - 2), tail: json.slice(at + marker.length - 1) }
}

/** A received payload as an envelope, or null when it is not one. */
export function decodeEnvelope(payload: string | Uint8Array): Envelope | null {
  let value: unknown
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'))
  } catch {
    // not JSON: not an envelope, which is the answer
    return null
  }
  const parsed = envelopeSchema.safeParse(value)
  return parsed.success ? (parsed.data as Envelope) : null
}

const QUOTE = 34
const BACKSLASH = 92
const COLON = 58
const OPEN_BRACE = 123
const OPEN_BRACKET = 91
const CLOSE_BRACE = 125
const CLOSE_BRACKET = 93

const codeAt = (payload: string | Uint8Array, i: number): number =>
  typeof payload === 'string' ? payload.charCodeAt(i) : (payload[i] as number)

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13

/**
 * The top-level `seq` of an envelope's JSON without parsing or allocating (the forward path runs
 * it per delivery). Any field order; strings and nested values are skipped, so a `"seq"` inside
 * the body or `meta` is never taken. 0 when the payload has no top-level integer `seq`.
 */
export function readSeq(payload: string | Uint8Array): number {
  const length = payload.length
  let depth = 0
  let i = 0
  while (i < length) {
    const c = codeAt(payload, i)
    if (c === QUOTE) {
      const start = i + 1
      i = start
      while (i < length && codeAt(payload, i) !== QUOTE) i += codeAt(payload, i) === BACKSLASH ? 2 : 1
      const isSeqKey =
        depth === 1 &&
        i - start === 3 &&
        codeAt(payload, start) === 115 &&
        codeAt(payload, start + 1) === 101 &&
        codeAt(payload, start + 2) === 113
      i += 1
      if (!isSeqKey) continue
      while (i < length && isSpace(codeAt(payload, i))) i += 1
      if (codeAt(payload, i) !== COLON) continue
      i += 1
      while (i < length && isSpace(codeAt(payload, i))) i += 1
      let seq = 0
      let digits = 0
      for (let d = codeAt(payload, i); d >= 48 && d <= 57; d = codeAt(payload, ++i)) {
        seq = seq * 10 + (d - 48)
        digits += 1
      }
      return digits > 0 ? seq : 0
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth += 1
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth -= 1
    i += 1
  }
  return 0
}

/**
 * What is left of a deleted message, or of an edit of it, in the chat log and history: who and
 * when, never what (SPEC §4b). Reactions go too: they were about the content.
 */
export function tombstoneOf(envelope: Envelope): Envelope {
  const { id, room, seq, from, ts, type, target } = envelope
  const tombstone: Envelope = { id, room, seq, from, ts, type, body: '' }
  if (target !== undefined) tombstone.target = target
  else tombstone.deleted = true
  return tombstone
}
