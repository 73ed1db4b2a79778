import { z } from 'zod'
import { envelopeSchema } from '../../core/envelope.js'
import { ERROR_STATUS, type ErrorCode } from '../../core/errors.js'
import { ID_PATTERN } from '../../core/ids.js'
import { SCOPES } from '../../core/scopes.js'

/**
 * What the REST routes answer, as zod schemas: the OpenAPI document is generated from them and
 * the routes type their answers with them (`z.input<…>`), so the two cannot drift apart.
 */

const id = z.string().regex(ID_PATTERN)
const millis = z.number().int().nonnegative().describe('milliseconds since the epoch')

export const publicUserSchema = z.object({ id, displayName: z.string(), createdAt: millis })

export const authAnswerSchema = z.object({ user: publicUserSchema, token: z.string().describe('a JWT; also the MQTT password') })

export const tokenAnswerSchema = z.object({ token: z.string() })

export const roomSchema = z.object({
  id,
  name: z.string(),
  kind: z.enum(['group', 'direct']),
  createdBy: z.string(),
  createdAt: millis,
  members: z.array(z.string())
})

const count = z.number().int().nonnegative()

/** A room as GET /v1/rooms lists it: with the caller's read state (docs/protocol.md, Read pointers). */
export const roomWithReadStateSchema = roomSchema.extend({
  lastSeq: count.describe('the highest seq of the room, 0 when empty'),
  readSeq: count.describe('your read pointer: every entry up to it is read'),
  unread: count.describe('messages from others after readSeq (edits, deletes and reactions do not count)'),
  mentions: count.describe('messages after readSeq that name you as @userId')
})

export const roomPageSchema = z.object({
  rooms: z.array(roomWithReadStateSchema),
  next: id.optional().describe('the `cursor` of the following page; absent on the last')
})

export const historyPageSchema = z.object({
  messages: z.array(envelopeSchema),
  next: z.number().int().nonnegative().optional().describe('the `before` (or with `after`, the `after`) of the following page')
})

export { envelopeSchema }

export const adminUserSchema = publicUserSchema.extend({ banned: z.boolean(), admin: z.boolean() })

export const connectionSchema = z.object({
  clientId: z.string(),
  userId: z.string(),
  transport: z.enum(['tcp', 'websocket']),
  address: z.string().nullable(),
  connectedAt: millis,
  tokenExpiresAt: millis.nullable(),
  node: z.string().describe('the node serving it (MQCHAT_NODE_ID; dev in embedded mode)')
})

export const connectionsAnswerSchema = z.object({ connections: z.array(connectionSchema) })

export const adminUserDetailSchema = adminUserSchema.extend({ connections: z.array(connectionSchema) })

export const adminUserPageSchema = z.object({
  users: z.array(adminUserSchema),
  next: id.optional().describe('the `after` of the following page')
})

export const createdUserSchema = z.object({ user: adminUserSchema })

export const apiKeySchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: millis,
  createdBy: z.string(),
  revokedAt: millis.nullable(),
  serviceId: z.string().describe('`svc_<name>`: the `from` of the service’s messages')
})

export const createdApiKeySchema = apiKeySchema.extend({ key: z.string().describe('the key text, shown in this answer only') })

export const apiKeyListSchema = z.object({ keys: z.array(apiKeySchema) })

export const roomSettingsAnswerSchema = z.object({ muted: z.boolean().describe('no offline push for this room') })

const readSeq = z.number().int().nonnegative()

export const readAnswerSchema = z.object({ room: z.string(), readSeq: readSeq.describe('your read pointer after the call') })

export const receiptsAnswerSchema = z.object({ receipts: z.array(z.object({ userId: id, readSeq })) })

export const roomPresenceAnswerSchema = z.object({ online: z.array(id).describe('members with a live connection on any node') })

export const livenessSchema = z.object({ status: z.literal('ok') })

export const readinessSchema = z.object({ status: z.enum(['ready', 'starting']) })

const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]

/** RFC 9457 problem details with mqchat's stable `code`; `codes` narrows the codes one answer can carry. */
export function problemSchema(codes: readonly ErrorCode[] = ERROR_CODES) {
  return z.object({
    type: z.string().describe('`urn:mqchat:problem:<code>`'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
    detail: z.string(),
    errors: z.unknown().optional().describe('the validation issues of an `invalid_request`')
  })
}
