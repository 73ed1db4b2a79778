import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { LocalConnectionCounter } from '../broker/connection-counters/local-connection-counter.js'
import { LocalMembershipFeed } from '../broker/membership-feeds/local-membership-feed.js'
import { LocalRateLimiter } from '../broker/rate-limiters/local-rate-limiter.js'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/logger.js'
import { openEmbeddedStorage } from '../storage/embedded.js'
import { rateLimitsOf } from './rate-limits.js'
import { startNode } from './start-node.js'

export interface DevNode {
  mqttPort: number
  httpPort: number
  close(): Promise<void>
}

/** `mqchat dev`: broker, REST API, WebSocket and persister in one process on embedded storage. */
export async function startDevNode(config: Config, logger: Logger): Promise<DevNode> {
  const storage = await openEmbeddedStorage(config.MQCHAT_DATA_DIR, { sync: config.MQCHAT_FSYNC })
  // startNode releases the storage itself if it fails
  const node = await startNode(config, logger, {
    ...storage,
    persistence: new AsyncLevelPersistence(storage.sessions),
    rateLimiter: new LocalRateLimiter(rateLimitsOf(config)),
    membershipFeed: new LocalMembershipFeed(),
    connectionCounter: new LocalConnectionCounter(),
    jwtSecret: config.MQCHAT_JWT_SECRET ?? (await embeddedSecret(config.MQCHAT_DATA_DIR)),
    resetStalePresence: true,
    serve: { mqtt: true, http: true, persister: 'dev' },
    release: () => storage.close()
  })
  logger.info({ mqttPort: node.mqttPort, httpPort: node.httpPort, dataDir: config.MQCHAT_DATA_DIR }, 'mqchat dev node listening')
  return { mqttPort: node.mqttPort as number, httpPort: node.httpPort as number, close: () => node.close() }
}

/** Embedded mode keeps one generated token secret in the data directory. */
async function embeddedSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, 'jwt-secret')
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch {
    const secret = randomBytes(48).toString('base64url')
    await writeFile(path, secret, { mode: 0o600, flag: 'wx' }).catch(() => undefined)
    return (await readFile(path, 'utf8')).trim()
  }
}
