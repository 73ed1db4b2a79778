import { z } from 'zod'
import { ID_PATTERN } from './ids.js'
import { jsonShape } from './json-shape.js'

/**
 * How deep and how big `meta` and each attachment may be. A 16 KiB `meta` nested 8,100 levels
 * deep once made `JSON.stringify` overflow the stack inside the chat log's group commit and
 * fail every other message of the batch; a bounded shape is checked before anything serializes it.
 */
export const JSON_LIMITS = {
  /** Objects and arrays nested in each other, `meta` or the attachment itself counting as 1. */
  depth: 8,
  /** Values inside `meta`, and inside all attachments together. */
  nodes: 256,
  /** Characters of any object key. */
  keyLength: 128
} as const

/** The deepest a whole message can be: the message, `attachments`, an attachment of `JSON_LIMITS.depth`. */
export const MESSAGE_DEPTH = JSON_LIMITS.depth + 2

/** A zod check that a JSON value stays within `JSON_LIMITS` (together with the values before it, for `nodes`). */
function boundedJson(what: string) {
  return (value: unknown, ctx: z.RefinementCtx) => {
    const items = what === 'attachments' && Array.isArray(value) ? value : [value]
    let nodes = 0
    for (const item of items) {
      const shape = jsonShape(item, JSON_LIMITS.depth)
      nodes += shape.nodes
      const problem =
        shape.depth > JSON_LIMITS.depth
          ? `is nested more than ${JSON_LIMITS.depth} levels deep`
          : nodes > JSON_LIMITS.nodes
            ? `has more than ${JSON_LIMITS.nodes} values`
            : shape.longestKey > JSON_LIMITS.keyLength
              ? `has a key longer than ${JSON_LIMITS.keyLength} characters`
              : null
      if (problem) return void ctx.addIssue({ code: 'custom', message: `${what} ${problem}` })
    }
  }
}

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
    attachments: z.array(z.record(z.string(), z.unknown())).max(16).superRefine(boundedJson('attachments')).optional(),
    meta: z.record(z.string(), z.unknown()).superRefine(boundedJson('meta')).optional()
  })
  .refine((m) => m.body.length > 0 || (m.attachments?.length ?? 0) > 0, {
    message: 'body must not be empty without attachments',
    path: ['body']
  })

/** The `type`s of relation entries: they change an earlier message (`target`) instead of adding one (SPEC §4b). */
export const RELATION_TYPES = ['edit', 'delete', 'reaction'] as const
export type RelationType = (typeof RELATION_TYPES)[number]

export const isRelationType = (type: string): type is RelationType => (RELATION_TYPES as readonly string[]).includes(type)

const relationBase = {
  id: z.string().regex(ID_PATTERN, 'id must match [A-Za-z0-9_-]{1,64}'),
  target: z.number().int().positive()
}

/**
 * Edits, deletes and reactions published to `rooms/{roomId}/messages` (SPEC §4b). Only the fields
 * below are kept (no meta or attachments), so a relation stays far inside `JSON_LIMITS`.
 * Delete and reaction entries carry an empty `body`, so every envelope has one.
 */
export const relationInputSchema = z.discriminatedUnion('type', [
  z.object({ ...relationBase, type: z.literal('edit'), body: z.string().min(1, 'an edit needs a body') }),
  z.object({ ...relationBase, type: z.literal('delete') }).transform((m) => ({ ...m, body: '' })),
  z
    .object({
      ...relationBase,
      type: z.literal('reaction'),
      // one emoji or a short name; no control characters, so it can be a REST path segment
      key: z
        .string()
        .min(1)
        .max(32)
        .regex(/^[^\p{Cc}\s/]+$/u, 'key must be 1-32 characters without spaces, slashes or control characters'),
      op: z.enum(['add', 'remove'])
    })
    .transform((m) => ({ ...m, body: '' }))
])

export type RelationInput = z.output<typeof relationInputSchema>

export type ChatInput = z.output<typeof chatInputSchema> & {
  target?: number
  key?: string
  op?: 'add' | 'remove'
}

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
  /** Relation entries (`edit`, `delete`, `reaction`): the seq of the message they change. */
  target?: number
  /** Reaction entries: the reaction (e.g. an emoji) and whether it is added or removed. */
  key?: string
  op?: 'add' | 'remove'
  /** History's current state of a message: ts of its last edit. */
  edited?: number
  /** History and the chat log: the message was deleted; body is empty, attachments and meta are gone. */
  deleted?: boolean
  /** History's current state of a message: reaction key -> users, in the order they reacted. */
  reactions?: Record<string, string[]>
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
