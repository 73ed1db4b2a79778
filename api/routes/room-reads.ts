import { Router } from 'express'
import { z } from 'zod'
import { roomForMember } from '../../storage/accounts/room-access.js'
import type { ApiDeps } from '../deps.js'
import { currentUser } from '../middleware/authenticate.js'
import { answer } from '../openapi/answer.js'
import { readAnswerSchema, receiptsAnswerSchema, roomPresenceAnswerSchema } from '../openapi/answer-schemas.js'
import { spend } from '../rate-limit.js'
import { validate } from '../validate.js'

export const markReadSchema = z.object({ seq: z.number().int().nonnegative() }).strict()

/**
 * /v1/rooms/{id}/read, /receipts and /presence, for members: the caller's read pointer (never moves back),
 * every member's pointer ("seen by") and the members online now on any node.
 */
export function roomReadRoutes({ accounts, readTracker, connections, chat, rateLimiter }: ApiDeps): Router {
  const router = Router()

  router.put('/:roomId/read', async (req, res) => {
    const me = currentUser(res.locals)
    const { seq } = validate(markReadSchema, req.body)
    const room = await roomForMember(accounts, req.params.roomId, me)
    // the same budget as `read` receipts over MQTT: each one is an inbox notice to every device
    await spend(rateLimiter, res, 'signal', me)
    const { readSeq, moved } = await readTracker.markRead(me, room.id, seq)
    if (moved) chat.notify(me, { type: 'read', room: room.id, seq: readSeq })
    answer(res, readAnswerSchema, { room: room.id, readSeq })
  })

  router.get('/:roomId/receipts', async (req, res) => {
    const room = await roomForMember(accounts, req.params.roomId, currentUser(res.locals))
    answer(res, receiptsAnswerSchema, { receipts: await readTracker.receipts(room.id, room.members) })
  })

  router.get('/:roomId/presence', async (req, res) => {
    const room = await roomForMember(accounts, req.params.roomId, currentUser(res.locals))
    answer(res, roomPresenceAnswerSchema, { online: await connections.online(room.members) })
  })

  return router
}
