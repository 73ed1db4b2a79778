import type { Aedes, Client } from 'aedes'
import { Counter, type Registry } from 'prom-client'
import type { Logger } from '../core/logger.js'
import type { SessionActivity } from '../storage/session-activity/session-activity.js'
import type { SessionCursors } from '../storage/session-cursors/session-cursors.js'
import type { StoredSessions } from './aedes/stored-sessions.js'

export interface SessionExpiryDeps {
  aedes: Aedes
  activity: SessionActivity
  cursors: SessionCursors
  /** Removes what the Aedes persistence keeps for the session (subscriptions, queued packets). */
  removeStoredSession(clientId: string): Promise<unknown>
  /** Sessions the persistence holds; those stored before expiry existed are adopted at start. */
  storedSessions?: StoredSessions
  logger: Logger
  registry: Registry
  now?: () => number
}

export interface SessionExpiryOptions {
  /** A persistent session not seen this long is removed. */
  expiryMs: number
  /** How often this node refreshes its connected sessions and (holding the lease) sweeps. */
  intervalMs: number
  /** Sessions read and removed per batch, and most batches per sweep: each sweep is bounded. */
  batchSize: number
  maxBatches: number
  /** This node, as the holder of the sweep lease. */
  holder: string
}

/**
 * Expiry of persistent sessions (issue 10, `MQCHAT_SESSION_EXPIRY`): a session is seen at CONNECT,
 * at disconnect, and every `intervalMs` while connected here (so a connected session never
 * expires, and one whose node died expires like any other). The node holding the lease removes
 * sessions not seen for `expiryMs`: their Aedes subscriptions and queued packets, then their
 * cursors. Client-id owner claims need nothing here: they lapse on their own TTL.
 *
 * A session claimed for removal just as its device reconnects on another node may lose what it
 * subscribed to; the claim is atomic on the last-seen time, so the window is the few milliseconds
 * between a CONNECT and its coalesced sighting reaching the store.
 */
export class SessionExpiry {
  private readonly local = new Map<string, Client>()
  private pending = new Set<string>()
  private flushScheduled = false
  private timer: NodeJS.Timeout | null = null
  private sweeping: Promise<unknown> = Promise.resolve()
  private adopting: Promise<unknown> = Promise.resolve()
  private stopped = false
  private running = false
  private readonly now: () => number
  private readonly expired: Counter

  constructor(
    private readonly deps: SessionExpiryDeps,
    private readonly options: SessionExpiryOptions
  ) {
    this.now = deps.now ?? Date.now
    this.expired = new Counter({
      name: 'mqchat_sessions_expired_total',
      help: 'Persistent sessions removed after MQCHAT_SESSION_EXPIRY without a connection',
      registers: [deps.registry]
    })
    deps.aedes.on('client', (client) => {
      if (client.clean) return
      this.local.set(client.id, client)
      this.sighted(client.id)
    })
    deps.aedes.on('clientDisconnect', (client) => {
      if (client.clean) return
      if (this.local.get(client.id) === client) this.local.delete(client.id)
      this.sighted(client.id)
    })
  }

  start(): void {
    this.adopting = this.adoptStored()
    this.timer = setInterval(() => {
      if (!this.running) this.sweeping = this.tick()
    }, this.options.intervalMs)
    this.timer.unref()
  }

  /**
   * Sessions stored without a sighting (kept by a version before expiry) count as seen now, so they
   * expire `expiryMs` after this start unless they return. Idempotent: every node does it at start.
   */
  private async adoptStored(): Promise<void> {
    if (!this.deps.storedSessions) return
    try {
      let adopted = 0
      for await (const ids of this.deps.storedSessions()) {
        if (this.stopped) return
        await this.deps.activity.adopt(ids, this.now())
        adopted += ids.length
      }
      this.deps.logger.debug({ sessions: adopted }, 'stored persistent sessions checked for a last-seen time')
    } catch (err) {
      this.deps.logger.warn({ err }, 'stored persistent sessions not adopted for expiry; the next start tries again')
    }
  }

  /** Sightings are coalesced: a reconnect storm writes one batch per event-loop turn. */
  private sighted(clientId: string): void {
    this.pending.add(clientId)
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => void this.flush())
  }

  async flush(): Promise<void> {
    this.flushScheduled = false
    const ids = [...this.pending]
    this.pending = new Set()
    await this.deps.activity
      .seen(ids, this.now())
      .catch((err: unknown) => this.deps.logger.warn({ err, sessions: ids.length }, 'session sightings not recorded'))
  }

  private async tick(): Promise<void> {
    this.running = true
    try {
      const connected = [...this.local.keys()]
      const now = this.now()
      // in slices: one command of 100,000 sessions would hold Redis for its whole length
      for (let i = 0; i < connected.length; i += this.options.batchSize) {
        await this.deps.activity.seen(connected.slice(i, i + this.options.batchSize), now)
      }
      if (await this.deps.activity.lease(this.options.holder, this.options.intervalMs * 2)) await this.sweep()
    } catch (err) {
      this.deps.logger.warn({ err }, 'session expiry sweep failed')
    } finally {
      this.running = false
    }
  }

  /** Removes up to `batchSize * maxBatches` expired sessions; resolves with how many. */
  async sweep(): Promise<number> {
    const cutoff = this.now() - this.options.expiryMs
    let removed = 0
    for (let batch = 0; batch < this.options.maxBatches; batch++) {
      const ids = await this.deps.activity.idleSince(cutoff, this.options.batchSize)
      for (const id of ids) {
        // seen here while the store missed it (a failed write): refreshed, not removed
        if (this.local.has(id)) {
          await this.deps.activity.seen([id], this.now())
          continue
        }
        if (!(await this.deps.activity.claimExpired(id, cutoff))) continue
        await this.remove(id, cutoff)
        this.deps.logger.debug({ sessionId: id }, 'expired persistent session removed')
        this.expired.inc()
        removed++
      }
      if (ids.length < this.options.batchSize) break
    }
    if (removed > 0) this.deps.logger.info({ sessions: removed }, 'expired persistent sessions removed')
    return removed
  }

  private async remove(id: string, cutoff: number): Promise<void> {
    try {
      await this.deps.removeStoredSession(id)
      await this.deps.cursors.clear(id)
    } catch (err) {
      // claimed but not removed: recorded as expired again, so the next sweep retries it
      await this.deps.activity.seen([id], cutoff)
      throw err
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await this.adopting
    await this.sweeping
    await this.flush()
  }
}
