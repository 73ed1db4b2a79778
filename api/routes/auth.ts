import { Router } from 'express'
import { z } from 'zod'
import { MqchatError } from '../../core/errors.js'
import type { User } from '../../storage/accounts/accounts-store.js'
import type { ApiDeps, ApiOptions } from '../deps.js'
import { createNewUser, parseNewUser } from '../new-user.js'
import { answer } from '../openapi/answer.js'
import { authAnswerSchema } from '../openapi/answer-schemas.js'
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../passwords.js'
import { clientAddress, spend } from '../rate-limit.js'
import { validate } from '../validate.js'

/** Any password an account may have (older ones were 8 characters); the length rule is for new ones. */
export const loginSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024)
})

export const publicUser = ({ id, displayName, createdAt }: User) => ({ id, displayName, createdAt })

/**
 * POST /v1/auth/register and /v1/auth/login: `{user, token}`. Both are throttled per client
 * address, logins also per account, before any password is hashed (429 with Retry-After).
 */
export function authRoutes({ accounts, tokens, rateLimiter, logger }: ApiDeps, options: Pick<ApiOptions, 'registration'>): Router {
  const router = Router()

  router.post('/register', async (req, res) => {
    if (options.registration === 'closed') throw new MqchatError('forbidden', 'registration is closed; an administrator creates accounts')
    const input = parseNewUser(req.body)
    // after the cheap checks, before the costly hash
    await spend(rateLimiter, res, 'register_address', clientAddress(req))
    const user = await createNewUser(accounts, input)
    answer(res, authAnswerSchema, { user: publicUser(user), token: await tokens.issue(user.id) }, 201)
  })

  router.post('/login', async (req, res) => {
    const { username, password } = validate(loginSchema, req.body)
    await spend(rateLimiter, res, 'login_address', clientAddress(req))
    const account = username.toLowerCase()
    await spend(rateLimiter, res, 'login_account', account)
    const user = await accounts.findUserByName(username)
    const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()))
    if (!user || !valid) throw new MqchatError('unauthenticated', 'wrong username or password')
    await rateLimiter.reset('login_account', account)
    if (needsRehash(user.passwordHash)) {
      // scrypt hashes of earlier versions become argon2id with the first login that knows the password
      const rehashed = await hashPassword(password).then(
        (hash) => accounts.setPasswordHash(user.id, hash),
        (error: unknown) => logger.warn({ err: error, userId: user.id }, 'password rehash postponed')
      )
      if (rehashed === false) logger.warn({ userId: user.id }, 'password rehash found no user')
    }
    answer(res, authAnswerSchema, { user: publicUser(user), token: await tokens.issue(user.id) })
  })

  return router
}
