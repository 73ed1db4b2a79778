import { randomBytes } from 'node:crypto'
import { Registry } from 'prom-client'
import { hashPassword } from '../api/passwords.js'
import type { Config } from '../core/config.js'
import { ConfigError } from '../core/errors.js'
import { isId } from '../core/ids.js'
import type { Logger } from '../core/logger.js'
import type { AccountsStore } from '../storage/accounts/accounts-store.js'
import { openClusterStorage } from '../storage/cluster.js'
import type { CredentialsStore } from '../storage/credentials/credentials-store.js'
import { RedisCredentialsStore } from '../storage/credentials/redis-credentials-store.js'
import { openEmbeddedStorage } from '../storage/embedded.js'
import { RedisHealthMonitor } from '../storage/redis-health.js'

export interface AdminCreated {
  userId: string
  /** True when the account was created now; false when an existing user was made an admin. */
  created: boolean
  /** The generated password of a new account, shown once; null for an existing user. */
  password: string | null
}

/**
 * `mqchat admin create <username>`: makes a user an admin, creating the account (with a generated
 * password) if there is none, by writing to the storage directly. With REDIS_URL and MONGODB_URL it
 * writes to the cluster's stores (nodes may be running); otherwise to the data directory of
 * `mqchat dev`, which must not be running (LevelDB allows one process).
 */
export async function createAdmin(config: Config, logger: Logger, username: string): Promise<AdminCreated> {
  if (!isId(username)) throw new ConfigError([`username ${JSON.stringify(username)}: must match [A-Za-z0-9_-]{1,64}`])
  const stores = await openStores(config, logger)
  try {
    let password: string | null = null
    if (!(await stores.accounts.getUser(username))) {
      password = randomBytes(18).toString('base64url')
      await stores.accounts.createUser({
        id: username,
        displayName: username,
        passwordHash: await hashPassword(password),
        createdAt: Date.now()
      })
    }
    await stores.credentials.setAdmin(username, true)
    return { userId: username, created: password !== null, password }
  } finally {
    await stores.close()
  }
}

async function openStores(
  config: Config,
  logger: Logger
): Promise<{ accounts: AccountsStore; credentials: CredentialsStore; close(): Promise<void> }> {
  if (config.REDIS_URL && config.MONGODB_URL) {
    const health = new RedisHealthMonitor(logger.child({ component: 'redis' }), new Registry())
    const storage = await openClusterStorage(
      {
        redisUrl: config.REDIS_URL,
        mongoUrl: config.MONGODB_URL,
        mongoDatabase: config.MQCHAT_MONGODB_DATABASE,
        redisPrefix: config.MQCHAT_REDIS_PREFIX,
        claimIdleMs: config.MQCHAT_PERSISTER_CLAIM_IDLE_MS,
        redisCluster: config.MQCHAT_REDIS_CLUSTER,
        partitions: config.MQCHAT_LOG_PARTITIONS,
        roomStreamLength: config.MQCHAT_ROOM_STREAM_LENGTH
      },
      health
    )
    return { ...storage, credentials: new RedisCredentialsStore(storage.redis, config.MQCHAT_REDIS_PREFIX), close: () => storage.close() }
  }
  const storage = await openEmbeddedStorage(config.MQCHAT_DATA_DIR)
  return storage
}
