import { markReadSchema } from '../routes/room-reads.js'
import { readAnswerSchema, receiptsAnswerSchema, roomPresenceAnswerSchema } from './answer-schemas.js'
import type { RouteDoc } from './route-doc.js'

/** Read pointers, receipts ("seen by") and a room's online members. */
export const readRouteDocs: RouteDoc[] = [
  {
    method: 'put',
    path: '/v1/rooms/{roomId}/read',
    tag: 'rooms',
    summary: 'Move your read pointer forward (never back, never past the last seq)',
    description: 'Your devices get `{"type":"read","room","seq"}` on their inbox. Same budget as receipts over MQTT.',
    access: 'user',
    body: markReadSchema,
    answers: { 200: { description: 'your read pointer', schema: readAnswerSchema } },
    errors: ['unknown_room', 'rate_limited']
  },
  {
    method: 'get',
    path: '/v1/rooms/{roomId}/receipts',
    tag: 'rooms',
    summary: "The members' read pointers (seen by)",
    access: 'user',
    answers: { 200: { description: 'members with a read pointer, in id order', schema: receiptsAnswerSchema } },
    errors: ['unknown_room']
  },
  {
    method: 'get',
    path: '/v1/rooms/{roomId}/presence',
    tag: 'rooms',
    summary: 'The members online now, on any node',
    access: 'user',
    answers: { 200: { description: 'online members', schema: roomPresenceAnswerSchema } },
    errors: ['unknown_room']
  }
]
