import type { RequestHandler } from 'express'
import { MqchatError } from '../../core/errors.js'
import { hasScope, type Scope, SERVICE_ID_PREFIX } from '../../core/scopes.js'
import type { TokenClaims, TokenService } from '../../core/tokens.js'
import type { ApiKeyRecord, CredentialsStore } from '../../storage/credentials/credentials-store.js'
import { looksLikeApiKey, verifyApiKey } from '../api-keys.js'

/** Who made a request: a user with a token, or a service with an API key. */
export type Principal = { kind: 'user'; userId: string; claims: TokenClaims } | { kind: 'service'; userId: string; key: ApiKeyRecord }

/**
 * `Authorization: Bearer <token>`: a user JWT or a service API key (`mqk_…`), both checked
 * against the credentials store on every request, so a revocation holds on every node at once.
 * Sets `res.locals.principal` and `res.locals.userId` (`svc_<name>` for a service).
 */
export function authenticate(deps: { tokens: TokenService; credentials: CredentialsStore }): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')
    const bearer = match?.[1]
    let principal: Principal | null = null
    if (bearer && looksLikeApiKey(bearer)) {
      const key = await verifyApiKey(deps.credentials, bearer)
      if (key) principal = { kind: 'service', userId: `${SERVICE_ID_PREFIX}${key.name}`, key }
    } else if (bearer) {
      const claims = await deps.tokens.verify(bearer)
      if (claims) principal = { kind: 'user', userId: claims.userId, claims }
    }
    if (!principal) throw new MqchatError('unauthenticated', 'a valid Bearer token or API key is required')
    res.locals.principal = principal
    res.locals.userId = principal.userId
    next()
  }
}

/** User routes (rooms, read pointers, account): a service key is refused. */
export const requireUser: RequestHandler = (_req, res, next) => {
  if (principalOf(res.locals).kind !== 'user') throw new MqchatError('forbidden', 'this route is for users, not service keys')
  next()
}

/** A service key must hold `scope`; a user must be an admin (admins hold every scope). */
export function requireScope(credentials: CredentialsStore, scope: Scope): RequestHandler {
  return async (_req, res, next) => {
    const principal = principalOf(res.locals)
    const allowed =
      principal.kind === 'service' ? hasScope(principal.key.scopes, scope) : (await credentials.userCredentials(principal.userId)).admin
    if (!allowed) throw new MqchatError('forbidden', `this needs the ${scope} scope`)
    next()
  }
}

/**
 * /v1/rooms/{id}/messages for service keys: reading needs `history:read`, sending `messages:write`;
 * users pass through to the membership checks of the routes.
 */
export const serviceMessageScopes: RequestHandler = (req, res, next) => {
  const principal = principalOf(res.locals)
  if (principal.kind === 'service') {
    const scope: Scope = req.method === 'GET' || req.method === 'HEAD' ? 'history:read' : 'messages:write'
    if (!hasScope(principal.key.scopes, scope)) throw new MqchatError('forbidden', `this key lacks the ${scope} scope`)
  }
  next()
}

export function principalOf(locals: Record<string, unknown>): Principal {
  return locals.principal as Principal
}

export function currentUser(locals: Record<string, unknown>): string {
  return locals.userId as string
}

/** Service keys read and send in any room (their scope was checked); users only in their rooms. */
export function mayUseAnyRoom(locals: Record<string, unknown>): boolean {
  return principalOf(locals)?.kind === 'service'
}
