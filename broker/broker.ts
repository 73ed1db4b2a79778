import { Aedes, type AuthenticateError, type Client } from 'aedes'
import mqemitter from 'mqemitter'
import type { Registry } from 'prom-client'
import type { Logger } from '../core/logger.js'
import type { Envelope } from '../core/message.js'
import type { TokenRevocations, TokenService } from '../core/tokens.js'
import { chatRoomOf, roomOfFilter, topics } from '../core/topics.js'
import type { AccountsStore } from '../storage/accounts/accounts-store.js'
import type { ChatLog } from '../storage/chat-log/chat-log.js'
import type { ClientOwners } from '../storage/client-owners/client-owners.js'
import type { HistoryStore } from '../storage/history/history-store.js'
import type { ReadTracker } from '../storage/read-pointers/read-tracker.js'
import type { SessionActivity } from '../storage/session-activity/session-activity.js'
import type { SessionCursors } from '../storage/session-cursors/session-cursors.js'
import { skipStatelessWipes, type WipeablePersistence } from './aedes/clean-sessions.js'
import { onBrokerError } from './aedes/client-internals.js'
import { closeWithConnection } from './aedes/close-with-connection.js'
import { encodeOnce, framedPublish } from './aedes/encode-once.js'
import { OrderedPublish } from './aedes/ordered-publish.js'
import { fastPubacks } from './aedes/puback-fast-path.js'
import { type AdaptablePersistence, adaptPersistence } from './aedes/session-persistence.js'
import { type RemovablePersistence, removeStoredSession } from './aedes/session-removal.js'
import { StoredFirst } from './aedes/stored-first.js'
import type { StoredSessions } from './aedes/stored-sessions.js'
import { createSubscribeGuard } from './aedes/subscribe-guard.js'
import { trimParser } from './aedes/trim-parser.js'
import { type ChatPipeline, type ChatPipelineOptions, createChatPipeline } from './chat-pipeline.js'
import type { ConnectionCounter } from './connection-counters/connection-counter.js'
import type { ConnectionRegistry } from './connection-registries/connection-registry.js'
import type { BrokerContext, BrokerOptions, Identity } from './context.js'
import { UserDirectory } from './directory.js'
import { authenticate, ConnectRefused, preConnect } from './hooks/authenticate.js'
import { mayReceive } from './hooks/authorize-forward.js'
import { authorizePublish } from './hooks/authorize-publish.js'
import { canSubscribe } from './hooks/authorize-subscribe.js'
import type { MembershipFeed } from './membership-feeds/membership-feed.js'
import { membershipSync } from './membership-feeds/membership-sync.js'
import { createBrokerMetrics } from './metrics.js'
import { createPresenceTracker, type RetainedSource } from './presence.js'
import type { RateLimiter } from './rate-limiters/rate-limiter.js'
import type { RevocationFeed } from './revocation-feeds/revocation-feed.js'
import { LiveTokens } from './revocations.js'
import { SessionExpiry } from './session-expiry.js'
import { SessionReplay } from './session-replay.js'
import { type Emitter, SplitEmitter } from './split-emitter.js'
import { SessionSubscriptions } from './subscription-limits.js'

export interface BrokerDeps {
  chatLog: ChatLog
  accounts: AccountsStore
  /** Relations (edits, deletes, reactions) look up targets the chat log no longer holds here. */
  history?: HistoryStore
  tokens: TokenService
  rateLimiter: RateLimiter
  /** An async Aedes persistence (aedes-persistence 11 interface). */
  persistence: AdaptablePersistence &
    WipeablePersistence &
    RemovablePersistence &
    RetainedSource & { setup(broker: unknown): Promise<void> }
  /** The cluster's mqemitter (mqemitter-redis); one node needs none. Chat messages never travel on it. */
  mq?: Emitter
  cursors: SessionCursors
  /** When each persistent session was last seen; unused ones expire (`sessionExpiryMs`). */
  sessionActivity: SessionActivity
  /** The persistent sessions the persistence holds (to adopt those stored before expiry existed). */
  storedSessions?: StoredSessions
  clientOwners: ClientOwners
  membershipFeed: MembershipFeed
  /** Token revocations made anywhere: open connections of revoked tokens are closed. */
  revocationFeed: RevocationFeed
  revocations: TokenRevocations
  /** Every node's live connections by user, for the admin API. */
  connectionRegistry: ConnectionRegistry
  connectionCounter: ConnectionCounter
  /** Read pointers and unread counters: kept in step with each append; receipts move the pointers. */
  readTracker: ReadTracker
  logger: Logger
  registry: Registry
}

export type MqchatBrokerOptions = BrokerOptions &
  ChatPipelineOptions & {
    /** Single node only: after a crash nobody is connected, so retained "online" states are stale. */
    resetStalePresence: boolean
    /** Most chat messages replayed per room to a returning persistent session. */
    offlineReplayLimit: number
    /** How often to look for dead nodes whose users' presence must turn offline. */
    presenceSweepMs: number
    /** A connection that sends no CONNECT this long after it opened is closed. */
    connectTimeoutMs: number
    /** Aedes heartbeat: wills of a node silent 3 heartbeats are published, checked every 4. */
    heartbeatMs: number
    /** A persistent session with no connection this long is removed (MQCHAT_SESSION_EXPIRY). */
    sessionExpiryMs: number
    /** How often connected sessions are marked seen and expired ones swept (well under the expiry). */
    sessionSweepMs: number
  }

export interface MqchatBroker {
  aedes: Aedes
  pipeline: ChatPipeline
  directory: UserDirectory
  /** This node's authenticated connections and their tokens. */
  liveTokens: LiveTokens
  /** Applies a membership change to live connections on every node and announces it. */
  membershipChanged(roomId: string, userId: string, isMember: boolean, by: string): Promise<void>
  notify(userId: string, notice: Record<string, unknown>): void
  close(): Promise<void>
}

/** An Aedes node with mqchat's authentication, ACL, chat pipeline and presence. */
export async function createBroker(deps: BrokerDeps, options: MqchatBrokerOptions): Promise<MqchatBroker> {
  const logger = deps.logger.child({ component: 'broker' })
  const directory = new UserDirectory(
    async (roomId) => (await deps.accounts.getRoom(roomId))?.members ?? [],
    (roomId, err) => logger.warn({ err, roomId }, 'room members could not be read; presence of its members is withheld'),
    // SPEC §10: this node is fed exactly the rooms of the users connected here
    {
      follow: (roomId) =>
        deps.chatLog.follow(roomId).catch((err: unknown) => logger.error({ err, roomId }, 'live feed of the room did not start')),
      unfollow: (roomId) => deps.chatLog.unfollow(roomId)
    }
  )
  const identities = new WeakMap<Client, Identity>()
  const metrics = createBrokerMetrics(deps.registry)
  const pipeline = createChatPipeline(
    { ...deps, directory },
    {
      ...options,
      onRejected: (reason) => metrics.rejects.inc({ reason }),
      onAccepted: () => metrics.messagesIn.inc(),
      afterAppend: ({ envelope }) => countAppended(envelope)
    }
  )
  /** Unread counters and mention notices; a failure is made up by the room's next append or read (ReadTracker). */
  const countAppended = async (envelope: Envelope) => {
    try {
      const entry = await deps.readTracker.appended(envelope)
      for (const userId of entry.mentions) notify(userId, { type: 'mention', room: envelope.room, seq: envelope.seq, from: envelope.from })
    } catch (err) {
      logger.warn({ err, room: envelope.room, seq: envelope.seq }, 'unread counters not updated; the next read of the room catches up')
    }
  }
  const storedFirst = new StoredFirst()
  const persistence = adaptPersistence(deps.persistence, {
    onRetainedError: (err) => logger.warn({ err }, 'retained messages could not be read'),
    onResend: (client, packet) => storedFirst.resending(client, packet)
  })
  const cleanSessions = skipStatelessWipes(persistence)
  const sessionSubscriptions = new SessionSubscriptions(options.maxSubscriptions)
  const subscribeGuard = createSubscribeGuard(persistence, {
    maxFiltersPerSubscribe: options.maxFiltersPerSubscribe,
    decide: (client, subscription) =>
      canSubscribe(ctx, identities.get(client), subscription.topic) && sessionSubscriptions.admit(client, subscription.topic),
    onOversize: (client, filters) => logger.debug({ clientId: client.id, filters }, 'SUBSCRIBE over the filter cap: connection closed')
  })
  const mq = new SplitEmitter(mqemitter({ concurrency: 100, matchEmptyLevels: true }) as Emitter, deps.mq)
  // Aedes hooks take callbacks; a throw inside one must not become an unhandled rejection.
  const hookFailed = (error: unknown) => logger.error({ err: error }, 'aedes hook callback threw')

  const aedes = new Aedes({
    connectTimeout: options.connectTimeoutMs,
    heartbeatInterval: options.heartbeatMs,
    persistence,
    mq,
    preConnect(client, packet, callback) {
      preConnect(client, packet)
      closeWithConnection(client)
      subscribeGuard.watch(client)
      encodeOnce(client)
      storedFirst.watch(client)
      fastPubacks(client)
      trimParser(client)
      callback(null, true)
    },
    authenticate(client, _username, password, callback) {
      authenticate(ctx, client, password)
        .then(
          () => callback(null, true),
          (error: unknown) => {
            if (error instanceof ConnectRefused) {
              logger.debug({ clientId: client.id, reason: error.message }, 'connection refused')
              return callback(error as AuthenticateError, false)
            }
            logger.error({ err: error }, 'authentication failed')
            callback(Object.assign(new Error('server unavailable'), { returnCode: 3 }) as AuthenticateError, false)
          }
        )
        .catch(hookFailed)
    },
    authorizePublish(client, packet, callback) {
      authorizePublish(ctx, client, packet)
        .then(() => callback(null), callback)
        .catch(hookFailed)
    },
    authorizeSubscribe(client, subscription, callback) {
      if (!subscribeGuard.authorize(client, subscription)) return callback(null, null)
      // a room joined while connected is followed in the background: SUBACK once this node is fed it
      const room = roomOfFilter(subscription.topic)
      if (room === null) return callback(null, subscription)
      directory.roomReady(room).then(() => callback(null, subscription))
    },
    authorizeForward(client, packet) {
      if (!mayReceive(ctx, identities.get(client), packet.topic)) return null
      const room = chatRoomOf(packet.topic)
      const forwarded = room === null ? packet : replay.forward(client, packet, room)
      if (forwarded) metrics.messagesOut.inc()
      return forwarded
    }
  })

  const publish = (topic: string, payload: string, qos: 0 | 1, retain = false) =>
    new Promise<void>((resolve, reject) =>
      aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false }, (error) =>
        error ? reject(error) : resolve()
      )
    )
  const notify = (userId: string, notice: Record<string, unknown>) => {
    publish(topics.inbox(userId), JSON.stringify(notice), 1).catch((err) => logger.warn({ err, userId }, 'inbox notice failed'))
  }

  const ctx: BrokerContext = {
    aedes,
    identities,
    directory,
    pipeline,
    tokens: deps.tokens,
    liveTokens: new LiveTokens(deps.revocations, logger, deps.connectionRegistry),
    accounts: deps.accounts,
    clientOwners: deps.clientOwners,
    cleanSessions,
    readTracker: deps.readTracker,
    metrics,
    rateLimiter: deps.rateLimiter,
    logger,
    options,
    notify,
    presence: createPresenceTracker(aedes, deps.persistence, deps.connectionCounter),
    replay: new SessionReplay(
      { aedes, chatLog: deps.chatLog, cursors: deps.cursors, directory, notify, logger },
      { limit: options.offlineReplayLimit, batchSize: 500 }
    ),
    orderedPublish: new OrderedPublish(aedes)
  }
  const replay = ctx.replay
  const expiry = new SessionExpiry(
    {
      aedes,
      activity: deps.sessionActivity,
      cursors: deps.cursors,
      removeStoredSession: (clientId) => removeStoredSession(persistence, clientId),
      storedSessions: deps.storedSessions,
      logger,
      registry: deps.registry
    },
    { expiryMs: options.sessionExpiryMs, intervalMs: options.sessionSweepMs, batchSize: 200, maxBatches: 10, holder: aedes.id }
  )

  aedes.on('clientError', (client, error) => logger.debug({ clientId: client.id, err: error.message }, 'client error'))
  aedes.on('connectionError', (client, error) => logger.debug({ clientId: client.id, err: error.message }, 'connection error'))
  onBrokerError(aedes, (error) => logger.error({ err: error }, 'broker error'))
  const replayFailed = (err: unknown) => logger.error({ err }, 'session replay failed')
  aedes.on('clientReady', (client) => {
    storedFirst.ready(client)
    void replay.ready(client).catch(replayFailed)
  })
  aedes.on(
    'subscribe',
    (subscriptions, client) =>
      void replay
        .subscribed(
          client,
          subscriptions.map((s) => s.topic)
        )
        .catch(replayFailed)
  )
  aedes.on('ack', (packet, client) => replay.acked(client, packet as { topic?: string; payload?: Buffer }))
  aedes.on('unsubscribe', (filters, client) => sessionSubscriptions.removed(client, filters))
  aedes.on('clientDisconnect', (client) => {
    replay.disconnected(client)
    persistence.forget(client.id)
  })

  await aedes.listen()
  // every node delivers chat messages from its own tail of the log: one order, seq order, everywhere.
  // The tail holds the rooms this node follows (the directory's rooms, followed before CONNACK)
  const stopTail = await deps.chatLog.tail(({ envelope, payload }) => {
    mq.emitLocal(framedPublish(aedes, topics.roomMessages(envelope.room), Buffer.from(payload)))
  })
  await deps.membershipFeed.subscribe(membershipSync(directory, deps.accounts, logger))
  await deps.revocationFeed.subscribe(
    (revocation) => ctx.liveTokens.revoke(revocation),
    () =>
      void ctx.liveTokens.recheck().then(
        (closed) => logger.info({ closed }, 'live tokens re-checked after the revocation feed reconnected'),
        (err: unknown) => logger.warn({ err }, 'live token re-check failed')
      )
  )
  if (options.resetStalePresence) {
    const stale = await ctx.presence.resetStale()
    if (stale > 0) logger.info({ users: stale }, 'reset stale online presence')
  }
  // before any client connects here: forget what dead nodes (and this node's last run) counted
  const sweep = () =>
    ctx.presence.sweep().then(
      (users) => users > 0 && logger.info({ users }, 'presence: connections of dead nodes forgotten'),
      (err: unknown) => logger.warn({ err }, 'presence sweep failed')
    )
  await sweep()
  const sweeper = setInterval(sweep, options.presenceSweepMs)
  sweeper.unref()
  expiry.start()

  return {
    aedes,
    pipeline,
    directory,
    liveTokens: ctx.liveTokens,
    async membershipChanged(roomId, userId, isMember, by) {
      await deps.membershipFeed.publish({ roomId, userId, isMember })
      const type = isMember ? 'member_added' : 'member_removed'
      publish(topics.roomEvents(roomId), JSON.stringify({ type, room: roomId, userId, by, ts: Date.now() }), 1).catch((err) =>
        logger.warn({ err, roomId }, 'room event failed')
      )
      notify(userId, { type: isMember ? 'invited' : 'removed', room: roomId, by })
    },
    notify,
    async close() {
      clearInterval(sweeper)
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      // the store closes after this: retained messages still being read for a SUBSCRIBE let go of it first
      await persistence.closeRetainedReads()
      stopTail()
      await replay.flush()
      await expiry.stop()
      await deps.connectionCounter.close()
    }
  }
}
