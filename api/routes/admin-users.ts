import { Router } from 'express'
import { z } from 'zod'
import { MqchatError } from '../../core/errors.js'
import { ID_PATTERN } from '../../core/ids.js'
import type { User } from '../../storage/accounts/accounts-store.js'
import type { ApiDeps } from '../deps.js'
import { currentUser } from '../middleware/authenticate.js'
import { createNewUser } from '../new-user.js'
import { answer } from '../openapi/answer.js'
import {
  adminUserDetailSchema,
  adminUserPageSchema,
  adminUserSchema,
  connectionsAnswerSchema,
  createdUserSchema
} from '../openapi/answer-schemas.js'
import { validate } from '../validate.js'

export const listQuerySchema = z.object({
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,64}$/)
    .default(''),
  after: z.string().regex(ID_PATTERN).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50)
})

/** /v1/admin/users: list and find users, create one (closed registration), ban and unban, live connections. */
export function adminUserRoutes({ accounts, credentials, sessions }: ApiDeps): Router {
  const router = Router()

  const describe = async ({ id, displayName, createdAt }: User) => {
    const { banned, admin } = await credentials.userCredentials(id)
    return { id, displayName, createdAt, banned, admin }
  }
  const existing = async (id: string) => {
    const user = ID_PATTERN.test(id) ? await accounts.getUser(id) : null
    if (!user) throw new MqchatError('not_found', `no user ${id}`)
    return user
  }

  router.get('/', async (req, res) => {
    const query = validate(listQuerySchema, req.query)
    const users = await accounts.listUsers(query)
    const last = users.at(-1)
    const page = { users: await Promise.all(users.map(describe)) }
    answer(res, adminUserPageSchema, users.length === query.limit && last ? { ...page, next: last.id } : page)
  })

  router.post('/', async (req, res) => {
    // the same validation, hashing and case-insensitive uniqueness as registration
    const user = await createNewUser(accounts, req.body)
    answer(res, createdUserSchema, { user: await describe(user) }, 201)
  })

  router.get('/:userId', async (req, res) => {
    const user = await existing(req.params.userId)
    answer(res, adminUserDetailSchema, { ...(await describe(user)), connections: await sessions.connectionsOf(user.id) })
  })

  router.get('/:userId/connections', async (req, res) => {
    const user = await existing(req.params.userId)
    answer(res, connectionsAnswerSchema, { connections: await sessions.connectionsOf(user.id) })
  })

  /** A ban revokes every token, refuses new ones and closes every open connection of the user. */
  router.post('/:userId/ban', async (req, res) => {
    const user = await existing(req.params.userId)
    if (user.id === currentUser(res.locals)) throw new MqchatError('conflict', 'you cannot ban yourself')
    await credentials.setBanned(user.id, true)
    await credentials.revokeTokens(user.id, Date.now())
    await sessions.revoke({ userId: user.id, reason: 'banned' })
    answer(res, adminUserSchema, await describe(user))
  })

  router.delete('/:userId/ban', async (req, res) => {
    const user = await existing(req.params.userId)
    await credentials.setBanned(user.id, false)
    answer(res, adminUserSchema, await describe(user))
  })

  return router
}
