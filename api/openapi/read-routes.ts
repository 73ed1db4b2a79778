import { z } from 'zod'
import { ID_PATTERN } from '../../core/ids.js'
import { markReadSchema } from '../routes/room-reads.js'
import type { RouteDoc } from './route-doc.js'

const seq = z.number().int().nonnegative()
const userId = z.string().regex(ID_PATTERN)

export const readAnswerSchema = z.object({ room: z.string(), readSeq: seq.describe('your read pointer after the call') })
export const receiptsAnswerSchema = z.object({ receipts: z.array(z.object({ userId, readSeq: seq })) })
export const roomPresenceAnswerSchema = z.object({ online: z.array(userId).describe('members with a live connection on any node') })

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
