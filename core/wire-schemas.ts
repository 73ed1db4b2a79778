import { z } from 'zod'
import { ERROR_STATUS, type ErrorCode } from './errors.js'
import { ID_PATTERN } from './ids.js'
import { receiptInputSchema, typingInputSchema } from './message.js'

/**
 * What the server publishes on MQTT besides envelopes (SPEC §4, docs/protocol.md): the stamped
 * typing and receipt signals, inbox notices and room events. The AsyncAPI document is generated
 * from these; test/unit/protocol-doc.test.ts keeps docs/protocol.md in step with it.
 */

const id = z.string().regex(ID_PATTERN)
const millis = z.number().int().nonnegative()

/** Every `reason` of a `rejected` notice: the REST error codes plus `invalid_topic` (MQTT only). */
export const REJECTION_REASONS = [...(Object.keys(ERROR_STATUS) as ErrorCode[]), 'invalid_topic'] as const

/** `rooms/{roomId}/typing` as delivered: the input, stamped by the server. */
export const typingSignalSchema = typingInputSchema.extend({ room: id, from: z.string(), ts: millis })

/** `rooms/{roomId}/receipts` as delivered: the input, stamped by the server. */
export const receiptSignalSchema = receiptInputSchema.extend({ room: id, from: z.string(), ts: millis })

export const rejectedNoticeSchema = z.object({
  type: z.literal('rejected'),
  id: z.string().nullable().describe('null when the payload was unreadable'),
  room: z.string(),
  reason: z.enum(REJECTION_REASONS),
  message: z.string()
})

/** Everything `users/{userId}/inbox` carries, by `type`. */
export const inboxNoticeSchema = z.discriminatedUnion('type', [
  rejectedNoticeSchema,
  z.object({ type: z.literal('duplicate'), id, room: id, seq: z.number().int().positive() }),
  z
    .object({ type: z.literal('overflow'), room: id, fromSeq: z.number().int().positive() })
    .describe('a persistent session missed more than MQCHAT_OFFLINE_REPLAY_LIMIT messages: fetch history after=fromSeq-1'),
  z.object({ type: z.literal('invited'), room: id, by: z.string() }),
  z.object({ type: z.literal('removed'), room: id, by: z.string() }),
  z
    .object({ type: z.literal('read'), room: id, seq: z.number().int().nonnegative() })
    .describe('your read pointer moved (from any of your devices)'),
  z
    .object({ type: z.literal('mention'), room: id, seq: z.number().int().positive(), from: z.string() })
    .describe('a message names you as @userId')
])

/** Everything `rooms/{roomId}/events` carries, by `type`. */
export const roomEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('member_added'), room: id, userId: id, by: z.string(), ts: millis }),
  z.object({ type: z.literal('member_removed'), room: id, userId: id, by: z.string(), ts: millis })
])

/** The `type` values of a discriminated union of objects, for documentation and tests. */
export function typesOf(union: { options: readonly z.ZodObject[] }): string[] {
  return union.options.map((option) => String((option.shape.type as z.ZodLiteral).value))
}
