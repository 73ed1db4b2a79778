import type { Server } from 'node:net'
import { Registry } from 'prom-client'
import { createApp } from '../api/app.js'
import { configurePasswordHashing } from '../api/passwords.js'
import { listenHttp } from '../bridge/http-server.js'
import { startPersister } from '../bridge/persister.js'
import { pushOptionsOf } from '../bridge/push/push-config.js'
import { startPushDispatcher } from '../bridge/push/push-dispatcher.js'
import { type BrokerDeps, createBroker } from '../broker/broker.js'
import type { ConnectionCounter } from '../broker/connection-counters/connection-counter.js'
import type { ConnectionRegistry } from '../broker/connection-registries/connection-registry.js'
import { createListenerGuards } from '../broker/listeners/listener-guards.js'
import { listenTcp } from '../broker/listeners/tcp.js'
import { listenTls } from '../broker/listeners/tls.js'
import { loadTlsCredentials, type TlsCredentials, tlsFilesOf } from '../broker/listeners/tls-credentials.js'
import type { MembershipFeed } from '../broker/membership-feeds/membership-feed.js'
import type { RateLimiter } from '../broker/rate-limiters/rate-limiter.js'
import type { RevocationFeed } from '../broker/revocation-feeds/revocation-feed.js'
import type { Emitter } from '../broker/split-emitter.js'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/logger.js'
import { createTokenService } from '../core/tokens.js'
import type { AccountsStore } from '../storage/accounts/accounts-store.js'
import type { ChatLog } from '../storage/chat-log/chat-log.js'
import type { ClientOwners } from '../storage/client-owners/client-owners.js'
import type { CredentialsStore } from '../storage/credentials/credentials-store.js'
import type { HistoryStore } from '../storage/history/history-store.js'
import type { ReadStateStore } from '../storage/read-pointers/read-state-store.js'
import { ReadTracker } from '../storage/read-pointers/read-tracker.js'
import type { RoomSettingsStore } from '../storage/room-settings/room-settings-store.js'
import type { SessionActivity } from '../storage/session-activity/session-activity.js'
import type { SessionCursors } from '../storage/session-cursors/session-cursors.js'

/** Everything a node is assembled from; embedded and cluster modes differ only here. */
export interface NodeParts {
  chatLog: ChatLog
  history: HistoryStore
  accounts: AccountsStore
  /** Per (user, room) settings (muted rooms get no offline push). */
  roomSettings: RoomSettingsStore
  /** Read pointers and unread counters. */
  readState: ReadStateStore
  persistence: BrokerDeps['persistence']
  mq?: Emitter
  cursors: SessionCursors
  sessionActivity: SessionActivity
  storedSessions?: BrokerDeps['storedSessions']
  clientOwners: ClientOwners
  rateLimiter: RateLimiter
  membershipFeed: MembershipFeed
  connectionCounter: ConnectionCounter
  /** Token revocations, bans, admins and API keys; checked on every CONNECT and request. */
  credentials: CredentialsStore
  revocationFeed: RevocationFeed
  /** Live connections by user on every node (the admin API's list). */
  connectionRegistry: ConnectionRegistry
  jwtSecret: string
  resetStalePresence: boolean
  /** Which roles this process plays. */
  serve: { mqtt: boolean; http: boolean; persister: string | null }
  /** Closes the storage and connections the parts were built on (last step of `close`). */
  release(): Promise<void>
  /** Where the parts' own metrics (e.g. mqchat_redis_up) already live; the node adds its metrics to it. */
  registry?: Registry
}

export interface RunningNode {
  mqttPort: number | null
  httpPort: number | null
  /** MQTT over TLS; null when no certificate is configured or this process serves no MQTT. */
  mqttsPort: number | null
  /** Re-reads the TLS certificate and key (SIGHUP) for new connections; false when TLS is off. */
  reloadTls(): Promise<boolean>
  /** The node's metrics (what GET /metrics serves). */
  registry: Registry
  close(): Promise<void>
}

/**
 * Starts a node from its parts: the broker, then (as asked) the persister, the MQTT TCP
 * listener and the HTTP server (REST API + /mqtt WebSocket). `close` undoes it in reverse:
 * stop accepting, close the broker (ending connections), stop the persister, release storage.
 */
export async function startNode(config: Config, logger: Logger, parts: NodeParts): Promise<RunningNode> {
  const cleanup: (() => Promise<void>)[] = [() => parts.release()]
  const closeAll = async () => {
    for (const step of cleanup.reverse()) await step()
  }
  try {
    let ready = false
    configurePasswordHashing({ maxQueue: config.MQCHAT_PASSWORD_QUEUE })
    const registry = parts.registry ?? new Registry()
    const tlsFiles = tlsFilesOf(config)
    const tls: TlsCredentials | null = tlsFiles ? await loadTlsCredentials(tlsFiles) : null
    const guards = createListenerGuards(
      {
        // room for the largest chat message, its topic, packet id and fixed header
        maxPacketBytes: config.MQCHAT_MAX_PACKET_BYTES ?? config.MQCHAT_MAX_MESSAGE_BYTES + 8192,
        connectTimeoutMs: config.MQCHAT_CONNECT_TIMEOUT_MS,
        maxConnections: config.MQCHAT_MAX_CONNECTIONS,
        maxPerAddress: config.MQCHAT_MAX_CONNECTIONS_PER_IP
      },
      registry
    )
    const tokens = createTokenService(parts.jwtSecret, config.MQCHAT_TOKEN_TTL_SECONDS, {
      previousSecret: config.MQCHAT_JWT_PREVIOUS_SECRET,
      jwksUrl: config.MQCHAT_JWT_JWKS_URL,
      issuer: config.MQCHAT_JWT_ISSUER,
      audience: config.MQCHAT_JWT_AUDIENCE,
      revocations: parts.credentials
    })
    if (parts.serve.persister) {
      const persister = startPersister(
        { chatLog: parts.chatLog, history: parts.history, logger, registry },
        { consumer: parts.serve.persister, batchSize: 500, blockMs: 1000, retryMs: 500, lingerMs: 20 }
      )
      cleanup.push(() => persister.stop())
    }
    const pushOptions = parts.serve.persister ? pushOptionsOf(config, parts.serve.persister) : null
    if (pushOptions) {
      const dispatcher = startPushDispatcher({ ...parts, logger, registry }, pushOptions)
      cleanup.push(() => dispatcher.stop())
    }
    const readTracker = new ReadTracker({
      store: parts.readState,
      chatLog: parts.chatLog,
      history: parts.history,
      membersOf: async (room) => (await parts.accounts.getRoom(room))?.members ?? []
    })
    const broker = await createBroker(
      { ...parts, tokens, revocations: parts.credentials, readTracker, logger, registry },
      {
        genericTopics: config.MQCHAT_GENERIC_TOPICS,
        allowAnonymous: config.MQCHAT_ALLOW_ANONYMOUS,
        maxConnectionsPerUser: config.MQCHAT_MAX_CONNECTIONS_PER_USER,
        maxFiltersPerSubscribe: config.MQCHAT_MAX_FILTERS_PER_SUBSCRIBE,
        maxSubscriptions: config.MQCHAT_MAX_SUBSCRIPTIONS,
        maxMessageBytes: config.MQCHAT_MAX_MESSAGE_BYTES,
        resetStalePresence: parts.resetStalePresence,
        offlineReplayLimit: config.MQCHAT_OFFLINE_REPLAY_LIMIT,
        presenceSweepMs: Math.max(config.MQCHAT_NODE_TTL_MS / 3, 100),
        connectTimeoutMs: config.MQCHAT_CONNECT_TIMEOUT_MS,
        heartbeatMs: config.MQCHAT_BROKER_HEARTBEAT_MS,
        sessionExpiryMs: config.MQCHAT_SESSION_EXPIRY * 1000,
        // a quarter of the expiry: a connected session is marked seen several times before it could expire
        sessionSweepMs: Math.min(config.MQCHAT_SESSION_EXPIRY * 250, 600_000)
      }
    )
    cleanup.push(() => broker.close())
    let mqttPort: number | null = null
    if (parts.serve.mqtt) {
      const mqtt = await listenTcp(broker.aedes, guards, config.MQCHAT_HOST, config.MQCHAT_MQTT_PORT)
      // stop accepting; the broker's close ends the open connections
      cleanup.push(async () => void mqtt.server.close())
      keepListening(mqtt.server, 'MQTT', logger)
      mqttPort = mqtt.port
    }
    let mqttsPort: number | null = null
    if (parts.serve.mqtt && tls) {
      const mqtts = await listenTls(broker.aedes, guards, tls, config.MQCHAT_HOST, config.MQCHAT_MQTTS_PORT)
      cleanup.push(async () => void mqtts.server.close())
      keepListening(mqtts.server, 'MQTT over TLS', logger)
      mqttsPort = mqtts.port
    }
    let httpPort: number | null = null
    if (parts.serve.http) {
      const app = createApp(
        {
          accounts: parts.accounts,
          history: parts.history,
          chatLog: parts.chatLog,
          roomSettings: parts.roomSettings,
          readTracker,
          connections: parts.connectionCounter,
          rateLimiter: parts.rateLimiter,
          tokens,
          chat: {
            send: (userId, roomId, message, sender) => broker.pipeline.send(userId, roomId, message, sender),
            membershipChanged: broker.membershipChanged,
            notify: broker.notify
          },
          credentials: parts.credentials,
          sessions: {
            revoke: (revocation) => parts.revocationFeed.publish(revocation),
            connectionsOf: (userId) => parts.connectionRegistry.of(userId)
          },
          registry,
          logger,
          isReady: () => ready
        },
        {
          metricsToken: config.MQCHAT_METRICS_TOKEN,
          maxMessageBytes: config.MQCHAT_MAX_MESSAGE_BYTES,
          registration: config.MQCHAT_REGISTRATION
        }
      )
      const http = await listenHttp(app, broker.aedes, guards, {
        onListenerError: (err) => logger.error({ err, listener: 'HTTP' }, 'listener error'),
        host: config.MQCHAT_HOST,
        port: config.MQCHAT_HTTP_PORT,
        // room for one largest chat message plus MQTT framing and a batch of small packets
        maxFrameBytes: 2 * config.MQCHAT_MAX_MESSAGE_BYTES + 65_536,
        tls
      })
      cleanup.push(() => http.close())
      httpPort = http.port
    }
    ready = true
    return {
      mqttPort,
      httpPort,
      mqttsPort,
      registry,
      async reloadTls() {
        if (!tls) return false
        await tls.reload()
        return true
      },
      async close() {
        ready = false
        await closeAll()
      }
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}

/** After start-up a listener's 'error' (EMFILE on accept, say) is logged: it must not end the process. */
function keepListening(server: Server, what: string, logger: Logger): void {
  server.on('error', (err) => logger.error({ err, listener: what }, 'listener error'))
}
