import { Router } from 'express'
import { z } from 'zod'
import { MqchatError } from '../../core/errors.js'
import type { ApiDeps } from '../deps.js'
import { authenticate, principalOf, requireUser } from '../middleware/authenticate.js'
import { newUserSchema } from '../new-user.js'
import { answer } from '../openapi/answer.js'
import { tokenAnswerSchema } from '../openapi/answer-schemas.js'
import { hashPassword, verifyPassword } from '../passwords.js'
import { clientAddress, spend } from '../rate-limit.js'
import { validate } from '../validate.js'

export const passwordChangeSchema = z.object({
  current: z.string().min(1).max(1024),
  new: newUserSchema.shape.password
})

/**
 * POST /v1/auth/logout revokes the token it is called with; PUT /v1/auth/password revokes every
 * token of the user and answers a new one. Either way the user's open MQTT connections that used
 * the revoked tokens close, on every node (the revocation feed).
 */
export function accountRoutes(deps: ApiDeps): Router {
  const { accounts, credentials, sessions, tokens, rateLimiter } = deps
  const router = Router()
  const auth = authenticate(deps)

  router.post('/logout', auth, requireUser, async (_req, res) => {
    const principal = principalOf(res.locals)
    if (principal.kind !== 'user') return
    const { userId, jti, expiresAt } = principal.claims
    if (jti === null) {
      // an external issuer's token without an id: logging out ends every token of the user
      await credentials.revokeTokens(userId, Date.now())
      await sessions.revoke({ userId, reason: 'logout' })
    } else {
      await credentials.revokeToken(userId, jti, expiresAt ?? Date.now() + 366 * 86_400_000)
      await sessions.revoke({ userId, jti, reason: 'logout' })
    }
    res.status(204).end()
  })

  router.put('/password', auth, requireUser, async (req, res) => {
    const userId = principalOf(res.locals).userId
    const input = validate(passwordChangeSchema, req.body)
    // the current password is checked as a login is: the same budgets, or a stolen token could guess it
    // without limit and fill the one hashing thread that every login waits for
    await spend(rateLimiter, res, 'login_address', clientAddress(req))
    await spend(rateLimiter, res, 'login_account', userId.toLowerCase())
    const user = await accounts.getUser(userId)
    if (!user || !(await verifyPassword(input.current, user.passwordHash))) {
      throw new MqchatError('forbidden', 'the current password is wrong')
    }
    await accounts.setPasswordHash(userId, await hashPassword(input.new))
    await credentials.revokeTokens(userId, Date.now())
    await sessions.revoke({ userId, reason: 'password_changed' })
    answer(res, tokenAnswerSchema, { token: await tokens.issue(userId) })
  })

  return router
}
