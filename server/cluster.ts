import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js'
import MQEmitterRedis from 'mqemitter-redis'
import { Registry } from 'prom-client'
import { sessionConnection } from '../broker/aedes/cluster-session-connection.js'
import { redisStoredSessions } from '../broker/aedes/stored-sessions.js'
import { RedisConnectionCounter } from '../broker/connection-counters/redis-connection-counter.js'
import { RedisConnectionRegistry } from '../broker/connection-registries/redis-connection-registry.js'
import { RedisMembershipFeed } from '../broker/membership-feeds/redis-membership-feed.js'
import { RedisRateLimiter } from '../broker/rate-limiters/redis-rate-limiter.js'
import { RedisRevocationFeed } from '../broker/revocation-feeds/redis-revocation-feed.js'
import type { Emitter } from '../broker/split-emitter.js'
import { type Config, requireClusterConfig } from '../core/config.js'
import type { Logger } from '../core/logger.js'
import { RedisClientOwners } from '../storage/client-owners/redis-client-owners.js'
import { openClusterStorage } from '../storage/cluster.js'
import { RedisCredentialsStore } from '../storage/credentials/redis-credentials-store.js'
import { duplicateClient } from '../storage/redis-client.js'
import { RedisHealthMonitor } from '../storage/redis-health.js'
import { orderedPublisher } from '../storage/redis-ordered-publish.js'
import { RedisSessionActivity } from '../storage/session-activity/redis-session-activity.js'
import { rateLimitsOf } from './rate-limits.js'
import { type RunningNode, startNode } from './start-node.js'

export type ClusterRole = 'broker' | 'bridge'

/**
 * `mqchat broker`: an MQTT node of the cluster (TCP). `mqchat bridge`: a persister worker of the
 * chat log's consumer group plus the HTTP server (REST API, /mqtt WebSocket joined to the cluster).
 * Both share sessions and fan-out through Redis, sequence through the Redis chat log and keep
 * history and accounts in MongoDB.
 */
export async function startClusterNode(config: Config, logger: Logger, role: ClusterRole): Promise<RunningNode> {
  const { REDIS_URL, MONGODB_URL, MQCHAT_JWT_SECRET } = requireClusterConfig(config)
  const prefix = config.MQCHAT_REDIS_PREFIX
  const nodeId = config.MQCHAT_NODE_ID ?? `${role}-${process.pid}`
  const nodeLogger = logger.child({ node: nodeId, role })
  const registry = new Registry()
  const health = new RedisHealthMonitor(nodeLogger.child({ component: 'redis' }), registry)
  const storage = await openClusterStorage(
    {
      redisUrl: REDIS_URL,
      mongoUrl: MONGODB_URL,
      mongoDatabase: config.MQCHAT_MONGODB_DATABASE,
      redisPrefix: prefix,
      claimIdleMs: config.MQCHAT_PERSISTER_CLAIM_IDLE_MS,
      redisCluster: config.MQCHAT_REDIS_CLUSTER,
      partitions: config.MQCHAT_LOG_PARTITIONS,
      roomStreamLength: config.MQCHAT_ROOM_STREAM_LENGTH,
      chatLog: {
        idempotencyWindow: config.MQCHAT_IDEMPOTENCY_WINDOW,
        waitReplicas: config.MQCHAT_REDIS_WAIT_REPLICAS,
        waitTimeoutMs: config.MQCHAT_REDIS_WAIT_TIMEOUT_MS,
        groupMaxLagMs: config.MQCHAT_PUSH_MAX_LAG_MS
      }
    },
    health
  )
  storage.chatLog.instrument(registry, nodeLogger)
  // plain pub/sub: on a Redis Cluster a PUBLISH reaches the subscribers of every node
  const fanOutConnection = () => duplicateClient(storage.redis, { eager: true, autoPipelining: true })
  const emitter = new MQEmitterRedis({
    subConn: health.watch(fanOutConnection(), 'fan-out-subscriber'),
    pubConn: orderedPublisher(health.watch(fanOutConnection(), 'fan-out-publisher'))
  })
  // the same errors its two connections reported (and `health` counted) above, re-emitted
  emitter.state.on('error', (err: unknown) => nodeLogger.debug({ err }, 'fan-out connection error'))
  const mq = emitter as unknown as Emitter
  const membershipFeed = new RedisMembershipFeed(storage.redis, { prefix, nodeId }, health)
  const sessions = health.watch(duplicateClient(storage.redis), 'sessions')
  const revocationFeed = new RedisRevocationFeed(storage.redis, { prefix, nodeId }, health)
  const node = await startNode(config, nodeLogger, {
    chatLog: storage.chatLog,
    history: storage.history,
    accounts: storage.accounts,
    roomSettings: storage.roomSettings,
    readState: storage.readState,
    cursors: storage.cursors,
    sessionActivity: new RedisSessionActivity(storage.redis, prefix),
    clientOwners: new RedisClientOwners(storage.redis, prefix, config.MQCHAT_CLIENT_ID_TTL_SECONDS),
    persistence: new AsyncRedisPersistence({ conn: sessionConnection(sessions) }),
    storedSessions: redisStoredSessions(sessions),
    mq,
    rateLimiter: new RedisRateLimiter(storage.redis, prefix, rateLimitsOf(config)),
    membershipFeed,
    revocationFeed,
    connectionRegistry: new RedisConnectionRegistry(storage.redis, { prefix, nodeId }, health),
    credentials: new RedisCredentialsStore(storage.redis, prefix),
    connectionCounter: new RedisConnectionCounter(storage.redis, { prefix, nodeId, heartbeatTtlMs: config.MQCHAT_NODE_TTL_MS }, health),
    registry,
    jwtSecret: MQCHAT_JWT_SECRET,
    resetStalePresence: false,
    serve: role === 'broker' ? { mqtt: true, http: false, persister: null } : { mqtt: false, http: true, persister: nodeId },
    async release() {
      await membershipFeed.close()
      await revocationFeed.close()
      sessions.disconnect()
      await storage.close()
    }
  })
  logger.info(
    { node: nodeId, role, mqttPort: node.mqttPort, mqttsPort: node.mqttsPort, httpPort: node.httpPort },
    `mqchat ${role} listening`
  )
  return node
}
