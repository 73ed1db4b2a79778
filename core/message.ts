import { z } from 'zod'
import { ID_PATTERN } from './ids.js'

/** What a client publishes to `rooms/{roomId}/messages` (SPEC §4). Unknown fields are dropped. */
export const chatInputSchema = z
  .object({
    id: z.string().regex(ID_PATTERN, 'id must match [A-Za-z0-9_-]{1,64}'),
    body: z.string(),
    type: z
      .string()
      .regex(/^[a-z][a-z0-9_.-]{0,31}$/)
      .default('text'),
    replyTo: z.number().int().positive().optional(),
    attachments: z.array(z.record(z.string(), z.unknown())).max(16).optional(),
    meta: z.record(z.string(), z.unknown()).optional()
  })
  .refine((m) => m.body.length > 0 || (m.attachments?.length ?? 0) > 0, {
    message: 'body must not be empty without attachments',
    path: ['body']
  })

export type ChatInput = z.output<typeof chatInputSchema>

/** What subscribers receive and history returns: the input plus server-assigned fields. */
export interface Envelope {
  id: string
  room: string
  seq: number
  from: string
  ts: number
  body: string
  type: string
  replyTo?: number
  attachments?: Record<string, unknown>[]
  meta?: Record<string, unknown>
}

/** Sent to `users/{userId}/inbox` when a send is refused. */
export interface Rejection {
  type: 'rejected'
  id: string | null
  room: string
  reason: string
  message: string
}

export const presenceSchema = z.object({
  status: z.enum(['online', 'offline']),
  ts: z.number()
})
export type Presence = z.infer<typeof presenceSchema>

/** Typing indicators: the broker overwrites `from` and `ts`. */
export const typingInputSchema = z.object({ typing: z.boolean().default(true) })

/** Delivered/read pointers published to `rooms/{roomId}/receipts`. */
export const receiptInputSchema = z.object({
  seq: z.number().int().nonnegative(),
  kind: z.enum(['delivered', 'read']).default('read')
})
