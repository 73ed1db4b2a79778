import { createHash, randomBytes } from 'node:crypto'
import { Router } from 'express'
import { z } from 'zod'
import { MqchatError, unknownRoom } from '../../core/errors.js'
import { ID_PATTERN } from '../../core/ids.js'
import type { Room } from '../../storage/accounts/accounts-store.js'
import { roomForMember } from '../../storage/accounts/room-access.js'
import type { RoomReadSummary } from '../../storage/read-pointers/read-tracker.js'
import type { ApiDeps } from '../deps.js'
import { currentUser } from '../middleware/authenticate.js'
import { answer } from '../openapi/answer.js'
import { roomPageSchema, roomSchema } from '../openapi/answer-schemas.js'
import { spend } from '../rate-limit.js'
import { validate } from '../validate.js'

const userId = z.string().regex(ID_PATTERN, 'must match [A-Za-z0-9_-]{1,64}')
export const createRoomSchema = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  members: z.array(userId).max(1000).default([]),
  kind: z.enum(['group', 'direct']).default('group')
})
export const addMemberSchema = z.object({ userId })
/** GET /v1/rooms pages: rooms in id order; `cursor` is the `next` of the previous page. */
export const listRoomsSchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(ID_PATTERN, 'must be the next of a previous page').optional()
})

/** A direct room's id is derived from its two members, so both ends find the same room. */
export function directRoomId(a: string, b: string): string {
  const [first, second] = [a, b].sort()
  return `dm_${createHash('sha256').update(`${first}\n${second}`).digest('base64url').slice(0, 32)}`
}

/** /v1/rooms: list, create (group or direct), read, add and remove members. */
export function roomRoutes({ accounts, chat, rateLimiter, readTracker }: ApiDeps): Router {
  const router = Router()

  async function assertUsersExist(ids: string[]): Promise<void> {
    const users = await Promise.all(ids.map((id) => accounts.getUser(id)))
    // never which ones: the answer must not list who exists (issue 6, item 8)
    if (users.some((user) => !user)) throw new MqchatError('cannot_add', 'some of the members cannot be added')
  }

  router.get('/', async (req, res) => {
    const { limit, cursor } = validate(listRoomsSchema, req.query)
    // one more than the page tells whether another page follows
    const me = currentUser(res.locals)
    // one query for the page's rooms (one more tells whether another page follows), one batch of counters
    const found = await accounts.roomPageOf(me, { after: cursor, limit: limit + 1 })
    const rooms = found.slice(0, limit)
    // counters, not counting: a room's cost is the same for 1 and for 100,000 unread messages
    const summaries = await readTracker.summaries(
      me,
      rooms.map((room) => room.id)
    )
    const withCounts = rooms.map((room, i) => ({ ...room, ...(summaries[i] as RoomReadSummary) }))
    const next = found.length > limit ? rooms.at(-1)?.id : undefined
    answer(res, roomPageSchema, { rooms: withCounts, ...(next ? { next } : {}) })
  })

  router.post('/', async (req, res) => {
    const me = currentUser(res.locals)
    const input = validate(createRoomSchema, req.body)
    const members = [...new Set([me, ...input.members])]
    await spend(rateLimiter, res, 'room', me)
    // every other member is an invitation: a room of 1,000 costs as much as 1,000 additions
    await spend(rateLimiter, res, 'invite', me, members.length - 1)
    await assertUsersExist(members)
    if (input.kind === 'direct') {
      const other = members.find((m) => m !== me)
      if (members.length !== 2 || !other) throw new MqchatError('invalid_request', 'a direct room has exactly one other member')
      const id = directRoomId(me, other)
      const existing = await accounts.getRoom(id)
      if (existing) {
        // a member removed from it (by an administrator) learns nothing more of it
        if (!existing.members.includes(me)) throw unknownRoom(id)
        return answer(res, roomSchema, existing)
      }
      const room: Room = {
        id,
        name: input.name ?? `${members.sort().join(' & ')}`,
        kind: 'direct',
        createdBy: me,
        createdAt: Date.now(),
        members
      }
      await accounts.createRoom(room).catch(async (error: unknown) => {
        if (!(error instanceof MqchatError && error.code === 'conflict')) throw error
      })
      await Promise.all(members.map((member) => chat.membershipChanged(id, member, true, me)))
      return answer(res, roomSchema, room, 201)
    }
    if (!input.name) throw new MqchatError('invalid_request', 'name: required for a group room')
    const room: Room = {
      id: `r_${randomBytes(12).toString('base64url')}`,
      name: input.name,
      kind: 'group',
      createdBy: me,
      createdAt: Date.now(),
      members
    }
    await accounts.createRoom(room)
    await Promise.all(members.map((member) => chat.membershipChanged(room.id, member, true, me)))
    answer(res, roomSchema, room, 201)
  })

  router.get('/:roomId', async (req, res) => {
    answer(res, roomSchema, await roomForMember(accounts, req.params.roomId, currentUser(res.locals)))
  })

  router.post('/:roomId/members', async (req, res) => {
    const me = currentUser(res.locals)
    await spend(rateLimiter, res, 'invite', me)
    const room = await roomForMember(accounts, req.params.roomId, me)
    const { userId: added } = validate(addMemberSchema, req.body)
    if (room.kind === 'direct') throw new MqchatError('conflict', 'a direct room keeps its two members')
    await assertUsersExist([added])
    if (await accounts.addMember(room.id, added)) await chat.membershipChanged(room.id, added, true, me)
    const updated = await accounts.getRoom(room.id)
    // deleted by an admin meanwhile
    if (!updated) throw unknownRoom(room.id)
    answer(res, roomSchema, updated)
  })

  router.delete('/:roomId/members/:userId', async (req, res) => {
    const me = currentUser(res.locals)
    const room = await roomForMember(accounts, req.params.roomId, me)
    const removed = req.params.userId
    if (room.kind === 'direct') throw new MqchatError('conflict', 'a direct room keeps its two members')
    if (removed !== me && room.createdBy !== me) throw new MqchatError('forbidden', 'only the room creator may remove other members')
    if (await accounts.removeMember(room.id, removed)) await chat.membershipChanged(room.id, removed, false, me)
    res.status(204).end()
  })

  return router
}
