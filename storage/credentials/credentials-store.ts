import type { Scope } from '../../core/scopes.js'

/** A service API key as stored: the secret itself is never kept, only its SHA-256. */
export interface ApiKeyRecord {
  /** The public part of the key (`mqk_<id>_<secret>`), 16 hex digits. */
  id: string
  /** The service's name: its messages carry `from: "svc_<name>"`. */
  name: string
  scopes: Scope[]
  /** Hex SHA-256 of the secret part: keys are 192 random bits, so a fast hash is enough. */
  secretHash: string
  createdAt: number
  createdBy: string
  revokedAt: number | null
}

/** What a user's tokens and rights depend on, beyond the token itself. */
export interface UserCredentials {
  /** Tokens issued before this time (ms) are revoked: password change, "log out everywhere", ban. */
  tokensValidAfter: number
  banned: boolean
  admin: boolean
}

/**
 * Token revocations, bans, admin rights and service API keys.
 *
 * Guarantees every implementation keeps (checked by `describeCredentialsContract`):
 * - A write is visible to every reader (every node of the cluster) as soon as it resolves; the
 *   API and the broker read it on every request and CONNECT, so revocations take effect at once.
 * - `revokeTokens` only moves the cut-off forward; `revokeToken` remembers a token id until the
 *   token expires anyway, then may forget it.
 * - An API key is created once (`conflict` for a known id); revoking it is idempotent and kept.
 * - Everything survives a restart.
 */
export interface CredentialsStore {
  userCredentials(userId: string): Promise<UserCredentials>
  /** Revokes every token of the user issued before `before` (ms). */
  revokeTokens(userId: string, before: number): Promise<void>
  /** Revokes one token (logout); `expiresAt` (ms) bounds how long it must be remembered. */
  revokeToken(userId: string, jti: string, expiresAt: number): Promise<void>
  /** Whether a token with these claims is revoked: banned user, issued before the cut-off, or denied by id. */
  isRevoked(userId: string, jti: string | null, issuedAt: number): Promise<boolean>
  isBanned(userId: string): Promise<boolean>
  setBanned(userId: string, banned: boolean): Promise<void>
  setAdmin(userId: string, admin: boolean): Promise<void>
  /** Users currently banned. */
  bannedUsers(): Promise<string[]>

  createApiKey(key: ApiKeyRecord): Promise<void>
  getApiKey(id: string): Promise<ApiKeyRecord | null>
  /** Every key, revoked ones included, oldest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>
  /** Marks the key revoked; false when there is no such key or it was revoked already. */
  revokeApiKey(id: string, at: number): Promise<boolean>
  close(): Promise<void>
}

export const NO_CREDENTIALS: UserCredentials = { tokensValidAfter: 0, banned: false, admin: false }
