import { Router } from 'express'
import { z } from 'zod'
import { roomForMember } from '../../storage/accounts/room-access.js'
import type { ApiDeps } from '../deps.js'
import { currentUser } from '../middleware/authenticate.js'
import { answer } from '../openapi/answer.js'
import { roomSettingsAnswerSchema } from '../openapi/answer-schemas.js'
import { spend } from '../rate-limit.js'
import { validate } from '../validate.js'

export const roomSettingsSchema = z.object({ muted: z.boolean() }).strict()

/** /v1/rooms/{id}/settings: the caller's own settings for a room it is a member of (muted: no offline push). */
export function roomSettingsRoutes({ accounts, roomSettings, rateLimiter }: ApiDeps): Router {
  const router = Router()

  router.get('/:roomId/settings', async (req, res) => {
    const me = currentUser(res.locals)
    const room = await roomForMember(accounts, req.params.roomId, me)
    answer(res, roomSettingsAnswerSchema, await roomSettings.get(me, room.id))
  })

  router.put('/:roomId/settings', async (req, res) => {
    const me = currentUser(res.locals)
    const settings = validate(roomSettingsSchema, req.body)
    const room = await roomForMember(accounts, req.params.roomId, me)
    // the budget of small per-user writes (typing, receipts)
    await spend(rateLimiter, res, 'signal', me)
    answer(res, roomSettingsAnswerSchema, await roomSettings.set(me, room.id, settings))
  })

  return router
}
