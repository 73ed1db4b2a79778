import type { Client } from 'aedes'
import type { Logger } from '../core/logger.js'
import type { TokenClaims, TokenRevocations } from '../core/tokens.js'
import { onClosed } from './connection-closed.js'
import type { ConnectionRegistry, LiveConnection } from './connection-registries/connection-registry.js'
import type { Revocation } from './revocation-feeds/revocation-feed.js'

/** One live MQTT connection of a user, as the admin API lists it. */

interface Watched {
  client: Client
  claims: TokenClaims
  info: LiveConnection
  timer: NodeJS.Timeout | null
}

// setTimeout keeps delays in a signed 32-bit int; longer ones would fire at once
const MAX_DELAY_MS = 2 ** 31 - 1
// a revocation that arrives while a CONNECT with an older token is between its check and `watch`
const RACE_WINDOW_MS = 10_000

/**
 * The token behind every authenticated connection of this node: the connection is closed when
 * its token expires (an open connection must not outlive it) and when a revocation of it
 * arrives from the feed (logout, password change, ban), wherever in the cluster it was made.
 */
export class LiveTokens {
  private readonly byUser = new Map<string, Set<Watched>>()
  private readonly recent = new Map<string, { at: number; jti?: string }[]>()

  constructor(
    private readonly revocations: TokenRevocations,
    private readonly logger: Logger,
    /** Where the admin API finds this node's connections, whichever node it runs on. */
    private readonly registry: ConnectionRegistry,
    private readonly onClosed: (reason: string) => void = () => undefined
  ) {}

  /** Follows an authenticated connection until it closes; `verifiedAt` is when its token was checked. */
  watch(client: Client, claims: TokenClaims, verifiedAt: number): void {
    if (this.revokedSince(claims, verifiedAt)) {
      this.end(client, claims.userId, 'revoked')
      return
    }
    const socket = client.conn as { remoteAddress?: string }
    const watched: Watched = {
      client,
      claims,
      timer: null,
      info: {
        clientId: client.id,
        userId: claims.userId,
        transport: client.req ? 'websocket' : 'tcp',
        address: socket.remoteAddress ?? client.req?.socket.remoteAddress ?? null,
        connectedAt: Date.now(),
        tokenExpiresAt: claims.expiresAt
      }
    }
    let users = this.byUser.get(claims.userId)
    if (!users) {
      users = new Set()
      this.byUser.set(claims.userId, users)
    }
    users.add(watched)
    this.registry.opened(watched.info)
    if (claims.expiresAt !== null) this.expireAt(watched, claims.expiresAt)
    onClosed(client.conn, () => {
      if (watched.timer) clearTimeout(watched.timer)
      users.delete(watched)
      this.registry.closed(watched.info)
      if (users.size === 0 && this.byUser.get(claims.userId) === users) this.byUser.delete(claims.userId)
    })
  }

  /** Closes the connections a revocation covers; returns how many. */
  revoke(revocation: Revocation): number {
    this.remember(revocation)
    let closed = 0
    for (const watched of this.byUser.get(revocation.userId) ?? []) {
      if (revocation.jti !== undefined && watched.claims.jti !== revocation.jti) continue
      this.end(watched.client, revocation.userId, revocation.reason)
      closed += 1
    }
    return closed
  }

  /** Re-checks every live token against the store: after revocations may have been missed. */
  async recheck(): Promise<number> {
    let closed = 0
    for (const [userId, users] of this.byUser) {
      for (const watched of [...users]) {
        const { jti, issuedAt } = watched.claims
        if (!(await this.revocations.isRevoked(userId, jti, issuedAt))) continue
        this.end(watched.client, userId, 'revoked')
        closed += 1
      }
    }
    return closed
  }

  private expireAt(watched: Watched, expiresAt: number): void {
    const delay = expiresAt - Date.now()
    if (delay <= 0) {
      this.end(watched.client, watched.claims.userId, 'expired')
      return
    }
    watched.timer = setTimeout(() => this.expireAt(watched, expiresAt), Math.min(delay, MAX_DELAY_MS))
    watched.timer.unref()
  }

  private end(client: Client, userId: string, reason: string): void {
    if (client.closed) return
    this.logger.info({ clientId: client.id, userId, reason }, 'closing connection: its token is no longer valid')
    this.onClosed(reason)
    client.close()
  }

  private remember(revocation: Revocation): void {
    const now = Date.now()
    const kept = (this.recent.get(revocation.userId) ?? []).filter((entry) => now - entry.at < RACE_WINDOW_MS)
    kept.push({ at: now, jti: revocation.jti })
    this.recent.set(revocation.userId, kept)
    for (const [userId, entries] of this.recent) if (entries.every((entry) => now - entry.at >= RACE_WINDOW_MS)) this.recent.delete(userId)
  }

  private revokedSince(claims: TokenClaims, verifiedAt: number): boolean {
    return (this.recent.get(claims.userId) ?? []).some(
      (entry) => entry.at >= verifiedAt && (entry.jti === undefined || entry.jti === claims.jti)
    )
  }
}
