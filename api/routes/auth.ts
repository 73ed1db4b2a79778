import { Router } from 'express'
import { z } from 'zod'
import { MqchatError } from '../../core/errors.js'
import { ID_PATTERN } from '../../core/ids.js'
import type { User } from '../../storage/accounts/accounts-store.js'
import type { ApiDeps } from '../deps.js'
import { DUMMY_HASH, hashPassword, verifyPassword } from '../passwords.js'
import { validate } from '../validate.js'

const credentialsSchema = z.object({
  username: z.string().regex(ID_PATTERN, 'must match [A-Za-z0-9_-]{1,64}'),
  password: z.string().min(8, 'must be at least 8 characters').max(1024),
  displayName: z.string().trim().min(1).max(100).optional()
})

export const publicUser = ({ id, displayName, createdAt }: User) => ({ id, displayName, createdAt })

/** POST /v1/auth/register and /v1/auth/login: `{user, token}`. */
export function authRoutes({ accounts, tokens }: ApiDeps): Router {
  const router = Router()

  router.post('/register', async (req, res) => {
    const { username, password, displayName } = validate(credentialsSchema, req.body)
    const user: User = {
      id: username,
      displayName: displayName ?? username,
      passwordHash: await hashPassword(password),
      createdAt: Date.now()
    }
    await accounts.createUser(user)
    res.status(201).json({ user: publicUser(user), token: await tokens.issue(user.id) })
  })

  router.post('/login', async (req, res) => {
    const { username, password } = validate(credentialsSchema.omit({ displayName: true }), req.body)
    const user = await accounts.getUser(username)
    const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH)
    if (!user || !valid) throw new MqchatError('unauthenticated', 'wrong username or password')
    res.json({ user: publicUser(user), token: await tokens.issue(user.id) })
  })

  return router
}
