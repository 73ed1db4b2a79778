import type { Client } from 'aedes'
import type { Logger } from '../core/logger.js'
import type { TokenClaims, TokenRevocations } from '../core/tokens.js'
import type { ConnectionRegistry, LiveConnection } from './connection-registries/connection-registry.js'
import { ExpiryQueue, type Queued } from './expiry-queue.js'
import type { Revocation } from './revocation-feeds/revocation-feed.js'

/** What `watch` hands back for `unwatch`. */
export interface LiveToken {
  readonly info: LiveConnection
}

interface Watched extends Queued, LiveToken {
  client: Client
  claims: TokenClaims
  info: LiveConnection
}

// a revocation that arrives while a CONNECT with an older token is between its check and `watch`
const RACE_WINDOW_MS = 10_000

/**
 * The token behind every authenticated connection of this node: the connection is closed when
 * its token expires (an open connection must not outlive it) and when a revocation of it
 * arrives from the feed (logout, password change, ban), wherever in the cluster it was made.
 */
export class LiveTokens {
  /** A user's connections: an array, a user has few (a Set costs 152 bytes even for one). */
  private readonly byUser = new Map<string, Watched[]>()
  private readonly recent = new Map<string, { at: number; jti?: string }[]>()
  /** Every expiring token of this node, under one timer. */
  private readonly expiries = new ExpiryQueue<Watched>(
    (watched) => watched.claims.expiresAt as number,
    (watched) => this.end(watched.client, watched.claims.userId, 'expired')
  )

  constructor(
    private readonly revocations: TokenRevocations,
    private readonly logger: Logger,
    /** Where the admin API finds this node's connections, whichever node it runs on. */
    private readonly registry: ConnectionRegistry,
    private readonly onClosed: (reason: string) => void = () => undefined
  ) {}

  /**
   * Follows an authenticated connection until `unwatch` (when it closes); `verifiedAt` is when its
   * token was checked. Null when the token is already revoked or expired: the connection is closed.
   */
  watch(client: Client, claims: TokenClaims, verifiedAt: number): LiveToken | null {
    if (this.revokedSince(claims, verifiedAt)) {
      this.end(client, claims.userId, 'revoked')
      return null
    }
    if (claims.expiresAt !== null && claims.expiresAt <= Date.now()) {
      this.end(client, claims.userId, 'expired')
      return null
    }
    const socket = client.conn as { remoteAddress?: string }
    const watched: Watched = {
      client,
      claims,
      slot: -1,
      info: {
        clientId: client.id,
        userId: claims.userId,
        transport: client.req ? 'websocket' : 'tcp',
        address: socket.remoteAddress ?? client.req?.socket.remoteAddress ?? null,
        connectedAt: Date.now(),
        tokenExpiresAt: claims.expiresAt
      }
    }
    const users = this.byUser.get(claims.userId)
    if (users) users.push(watched)
    else this.byUser.set(claims.userId, [watched])
    this.registry.opened(watched.info)
    if (claims.expiresAt !== null) this.expiries.add(watched)
    return watched
  }

  /** Stops following a connection that closed (the caller's one 'close' listener calls this). */
  unwatch(token: LiveToken): void {
    const watched = token as Watched
    this.expiries.remove(watched)
    this.registry.closed(watched.info)
    const { userId } = watched.claims
    const users = this.byUser.get(userId) ?? []
    const at = users.indexOf(watched)
    if (at >= 0) users.splice(at, 1)
    if (users.length === 0) this.byUser.delete(userId)
  }

  /** Closes the connections a revocation covers; returns how many. */
  revoke(revocation: Revocation): number {
    this.remember(revocation)
    let closed = 0
    for (const watched of [...(this.byUser.get(revocation.userId) ?? [])]) {
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
