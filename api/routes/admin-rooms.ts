import { Router } from 'express'
import { z } from 'zod'
import { MqchatError } from '../../core/errors.js'
import { ID_PATTERN } from '../../core/ids.js'
import type { ApiDeps } from '../deps.js'
import { currentUser } from '../middleware/authenticate.js'
import { answer } from '../openapi/answer.js'
import { roomSchema } from '../openapi/answer-schemas.js'
import { validate } from '../validate.js'

export const addMemberSchema = z.object({ userId: z.string().regex(ID_PATTERN, 'must match [A-Za-z0-9_-]{1,64}') })

/**
 * /v1/admin/rooms (`rooms:admin`): read any room, add or remove a member, delete a room. Each
 * membership change reaches live connections on every node as a member's own change would.
 */
export function adminRoomRoutes({ accounts, chat }: ApiDeps): Router {
  const router = Router()

  const existing = async (id: string) => {
    const room = ID_PATTERN.test(id) ? await accounts.getRoom(id) : null
    if (!room) throw new MqchatError('not_found', `no room ${id}`)
    return room
  }

  router.get('/:roomId', async (req, res) => {
    answer(res, roomSchema, await existing(req.params.roomId))
  })

  /** Members are removed first (their connections stop receiving at once), then the room; its history stays stored. */
  router.delete('/:roomId', async (req, res) => {
    const room = await existing(req.params.roomId)
    const by = currentUser(res.locals)
    for (const member of room.members) {
      if (await accounts.removeMember(room.id, member)) await chat.membershipChanged(room.id, member, false, by)
    }
    await accounts.deleteRoom(room.id)
    res.status(204).end()
  })

  router.post('/:roomId/members', async (req, res) => {
    const room = await existing(req.params.roomId)
    const { userId } = validate(addMemberSchema, req.body)
    if (!(await accounts.getUser(userId))) throw new MqchatError('not_found', `no user ${userId}`)
    if (room.kind === 'direct') throw new MqchatError('conflict', 'a direct room keeps its two members')
    if (await accounts.addMember(room.id, userId)) await chat.membershipChanged(room.id, userId, true, currentUser(res.locals))
    answer(res, roomSchema, await existing(room.id))
  })

  router.delete('/:roomId/members/:userId', async (req, res) => {
    const room = await existing(req.params.roomId)
    const { userId } = req.params
    if (await accounts.removeMember(room.id, userId)) await chat.membershipChanged(room.id, userId, false, currentUser(res.locals))
    res.status(204).end()
  })

  return router
}
