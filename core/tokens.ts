import { createHash, randomUUID } from 'node:crypto'
import { createDecoder, createVerifier, TokenError } from 'fast-jwt'
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose'
import { MqchatError } from './errors.js'
import { isId } from './ids.js'

/** What a valid user token says; times in ms since the epoch. */
export interface TokenClaims {
  userId: string
  /** Null for tokens of an external issuer that carry none (they can only be revoked per user). */
  jti: string | null
  issuedAt: number
  /** Null for tokens without `exp` (external issuers only; ours always expire). */
  expiresAt: number | null
}

/** Answers whether a user's token is revoked (logout, password change, ban); injected so core imports no storage. */
export interface TokenRevocations {
  isRevoked(userId: string, jti: string | null, issuedAt: number): Promise<boolean>
  isBanned(userId: string): Promise<boolean>
}

export interface TokenService {
  /** Signs a token for the user; a banned user gets `forbidden`. */
  issue(userId: string): Promise<string>
  /** The claims of a valid, unexpired and unrevoked token, or null. */
  verify(token: string): Promise<TokenClaims | null>
}

export interface TokenServiceOptions {
  /** Rotation: tokens signed with this older HS256 secret keep verifying until they expire. */
  previousSecret?: string
  /** RS256/ES256 tokens of an external issuer, verified against the keys published here. */
  jwksUrl?: string
  issuer?: string
  audience?: string
  revocations?: TokenRevocations
}

/** A short, stable name of an HS256 secret for the `kid` header, so verification picks the right one. */
export function secretKid(secret: string): string {
  return `hs-${createHash('sha256').update(secret).digest('base64url').slice(0, 12)}`
}

/**
 * User tokens: `sub` (user id), `iss`, `aud`, `jti`, `iat` and `exp`, signed HS256 with the current
 * secret. Verification accepts HS256 with the current or the previous secret (picked by `kid`)
 * and, with a JWKS URL, RS256/ES256 tokens whose key the JWKS publishes. `iat` keeps milliseconds
 * (a NumericDate may be fractional, RFC 7519 §2) so a token issued right after a password change
 * is not caught by the cut-off that change set.
 */
export function createTokenService(secret: string, ttlSeconds: number, options: TokenServiceOptions = {}): TokenService {
  const issuer = options.issuer ?? 'mqchat'
  const audience = options.audience ?? 'mqchat'
  const encode = (value: string) => new TextEncoder().encode(value)
  const kid = secretKid(secret)
  const secrets = new Map([[kid, encode(secret)]])
  if (options.previousSecret) secrets.set(secretKid(options.previousSecret), encode(options.previousSecret))
  const jwks = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : null
  const revocations = options.revocations

  // HS256 (our own tokens, every connect) is checked synchronously by fast-jwt: jose's WebCrypto verify
  // costs ~90 us a token against ~11 us (bench S3's connect profile); jose keeps external issuers' tokens
  const hs256 = new Map(
    [...secrets].map(([id, bytes]) => [
      id,
      createVerifier({ key: Buffer.from(bytes), algorithms: ['HS256'], allowedIss: issuer, allowedAud: audience })
    ])
  )
  const headerOf = createDecoder({ complete: true })
  const externalOptions = { issuer, audience, algorithms: ['RS256', 'ES256'] }

  async function payloadOf(token: string): Promise<JWTPayload | null> {
    try {
      const { header } = headerOf(token) as { header: { alg?: unknown; kid?: unknown } }
      if (header.alg === 'HS256') {
        const id = header.kid === undefined ? kid : header.kid
        const verify = typeof id === 'string' ? hs256.get(id) : undefined
        return verify ? (verify(token) as JWTPayload) : null
      }
      if (jwks && (header.alg === 'RS256' || header.alg === 'ES256')) return (await jwtVerify(token, jwks, externalOptions)).payload
      return null
    } catch (error) {
      if (error instanceof TokenError || error instanceof errors.JOSEError || error instanceof TypeError) return null
      throw error
    }
  }

  async function claimsOf(token: string): Promise<TokenClaims | null> {
    const payload = await payloadOf(token)
    if (!payload) return null
    if (!isId(payload.sub)) return null
    return {
      userId: payload.sub,
      jti: typeof payload.jti === 'string' ? payload.jti : null,
      issuedAt: typeof payload.iat === 'number' ? Math.round(payload.iat * 1000) : 0,
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null
    }
  }

  return {
    async issue(userId) {
      const now = Date.now()
      if (await revocations?.isBanned(userId)) throw new MqchatError('forbidden', `user ${userId} is banned`)
      return new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid })
        .setSubject(userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setJti(randomUUID())
        .setIssuedAt(now / 1000)
        .setExpirationTime(Math.floor(now / 1000) + ttlSeconds)
        .sign(secrets.get(kid) as Uint8Array)
    },
    async verify(token) {
      const claims = await claimsOf(token)
      if (!claims) return null
      if (await revocations?.isRevoked(claims.userId, claims.jti, claims.issuedAt)) return null
      return claims
    }
  }
}
