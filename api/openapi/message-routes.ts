import { z } from 'zod'
import { chatInputSchema } from '../../core/message.js'
import { editBodySchema, historyQuerySchema } from '../routes/messages.js'
import { envelopeSchema, historyPageSchema } from './answer-schemas.js'
import type { RouteDoc } from './route-doc.js'

const seq = z.coerce.number().int().positive().describe('the seq of the message the entry changes')
const reactionKey = z.string().min(1).max(32).describe('one emoji or a short name, without spaces, slashes or control characters')
const idempotencyKey = 'the entry’s message id (`[A-Za-z0-9_-]{1,64}`): a retry with the same key is answered 200 with the first envelope'

/** An edit, delete or reaction: an entry of the room's stream that changes the message at `seq` (SPEC §4b). */
function relation(method: RouteDoc['method'], path: string, summary: string, extra: Partial<RouteDoc> = {}): RouteDoc {
  return {
    method,
    path,
    tag: 'messages',
    summary,
    access: 'user-or-service',
    params: { seq, key: reactionKey },
    headers: { 'Idempotency-Key': idempotencyKey },
    answers: {
      201: { description: 'the entry’s sequenced envelope', schema: envelopeSchema },
      200: { description: 'a repeated Idempotency-Key: the first envelope', schema: envelopeSchema }
    },
    errors: ['invalid_message', 'unknown_room', 'not_author', 'bad_target', 'id_taken', 'rate_limited'],
    ...extra
  }
}

/** /v1/rooms/{roomId}/messages: history, sending, and edits, deletes and reactions. */
export const messageRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/rooms/{roomId}/messages',
    tag: 'messages',
    summary: 'History: newest first, or with `after` oldest first from after+1 (catch-up)',
    description: 'Service keys need `history:read` and read any room.',
    access: 'user-or-service',
    query: historyQuerySchema,
    answers: { 200: { description: 'one page of envelopes', schema: historyPageSchema } },
    errors: ['unknown_room']
  },
  {
    method: 'post',
    path: '/v1/rooms/{roomId}/messages',
    tag: 'messages',
    summary: 'Send a chat message (`id` generated when absent)',
    description: 'Service keys need `messages:write` and send into any room as `svc_<name>`.',
    access: 'user-or-service',
    body: chatInputSchema,
    bodyOptional: ['id'],
    answers: {
      201: { description: 'the sequenced envelope', schema: envelopeSchema },
      200: { description: 'your repeated id: the first envelope, not sequenced again', schema: envelopeSchema }
    },
    errors: ['invalid_message', 'unknown_room', 'id_taken', 'rate_limited']
  },
  relation('patch', '/v1/rooms/{roomId}/messages/{seq}', 'Edit your message', { body: editBodySchema }),
  relation('delete', '/v1/rooms/{roomId}/messages/{seq}', 'Delete a message: yours, or any if you created the room'),
  relation('put', '/v1/rooms/{roomId}/messages/{seq}/reactions/{key}', 'Add your reaction'),
  relation('delete', '/v1/rooms/{roomId}/messages/{seq}/reactions/{key}', 'Remove your reaction')
]
