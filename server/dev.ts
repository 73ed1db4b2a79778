import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { levelStoredSessions } from '../broker/aedes/stored-sessions.js'
import { LocalConnectionCounter } from '../broker/connection-counters/local-connection-counter.js'
import { LocalConnectionRegistry } from '../broker/connection-registries/local-connection-registry.js'
import { LocalMembershipFeed } from '../broker/membership-feeds/local-membership-feed.js'
import { LocalRateLimiter } from '../broker/rate-limiters/local-rate-limiter.js'
import { LocalRevocationFeed } from '../broker/revocation-feeds/local-revocation-feed.js'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/logger.js'
import { openEmbeddedStorage } from '../storage/embedded.js'
import { embeddedSecret } from './embedded-secret.js'
import { rateLimitsOf } from './rate-limits.js'
import { startNode } from './start-node.js'

export interface DevNode {
  mqttPort: number
  httpPort: number
  /** MQTT over TLS, when MQCHAT_TLS_CERT and MQCHAT_TLS_KEY are set. */
  mqttsPort: number | null
  /** Re-reads the TLS certificate and key (SIGHUP); false when TLS is off. */
  reloadTls(): Promise<boolean>
  close(): Promise<void>
}

/** `mqchat dev`: broker, REST API, WebSocket and persister in one process on embedded storage. */
export async function startDevNode(config: Config, logger: Logger): Promise<DevNode> {
  // before the storage opens: a bad secret file ends the start with one line and nothing to release
  const jwtSecret = config.MQCHAT_JWT_SECRET ?? (await embeddedSecret(config.MQCHAT_DATA_DIR))
  const storage = await openEmbeddedStorage(config.MQCHAT_DATA_DIR, {
    sync: config.MQCHAT_FSYNC,
    clientIdTtlSeconds: config.MQCHAT_CLIENT_ID_TTL_SECONDS
  })
  // startNode releases the storage itself if it fails
  const node = await startNode(config, logger, {
    ...storage,
    persistence: new AsyncLevelPersistence(storage.sessions),
    storedSessions: levelStoredSessions(storage.sessions),
    rateLimiter: new LocalRateLimiter(rateLimitsOf(config)),
    membershipFeed: new LocalMembershipFeed(),
    revocationFeed: new LocalRevocationFeed(),
    connectionRegistry: new LocalConnectionRegistry('dev'),
    connectionCounter: new LocalConnectionCounter(),
    jwtSecret,
    resetStalePresence: true,
    serve: { mqtt: true, http: true, persister: 'dev' },
    release: () => storage.close()
  })
  const { mqttPort, httpPort, mqttsPort } = node
  logger.info({ mqttPort, httpPort, mqttsPort, dataDir: config.MQCHAT_DATA_DIR }, 'mqchat dev node listening')
  return {
    mqttPort: mqttPort as number,
    httpPort: httpPort as number,
    mqttsPort,
    reloadTls: () => node.reloadTls(),
    close: () => node.close()
  }
}
