import { jwtVerify, SignJWT } from 'jose'
import { isId } from './ids.js'

export interface TokenService {
  issue(userId: string): Promise<string>
  /** Returns the user id, or null when the token is not valid. */
  verify(token: string): Promise<string | null>
}

/** HS256 user tokens: `sub` is the user id. */
export function createTokenService(secret: string, ttlSeconds: number): TokenService {
  const key = new TextEncoder().encode(secret)
  return {
    issue: (userId) =>
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuedAt().setExpirationTime(`${ttlSeconds}s`).sign(key),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] })
        return isId(payload.sub) ? payload.sub : null
      } catch {
        return null
      }
    }
  }
}
