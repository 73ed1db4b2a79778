/** Tokens of `userId` stop being valid: one token (`jti`, a logout) or all issued so far (password change, ban). */
export interface Revocation {
  userId: string
  /** Only the connections authenticated with this token id; absent: every connection of the user. */
  jti?: string
  reason: 'logout' | 'password_changed' | 'banned' | 'revoked'
}

/**
 * Carries revocations to every node, so each closes the live MQTT connections of the revoked
 * tokens within moments. The credentials store is what makes a revocation hold (every CONNECT
 * and request checks it); the feed only ends connections that were open before.
 */
export interface RevocationFeed {
  publish(revocation: Revocation): Promise<void>
  /**
   * Every revocation published anywhere, including by this node. `resync` is called when some
   * may have been missed (the feed's connection was lost): the node re-checks its live tokens.
   */
  subscribe(listener: (revocation: Revocation) => void, resync?: () => void): Promise<void>
  close(): Promise<void>
}
