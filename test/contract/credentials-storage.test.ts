import { randomUUID } from 'node:crypto'
import { describeCredentialsContract } from '../../storage/credentials/credentials.contract.js'
import { LevelCredentialsStore } from '../../storage/credentials/level-credentials-store.js'
import { RedisCredentialsStore } from '../../storage/credentials/redis-credentials-store.js'
import type { RedisClient } from '../../storage/redis-client.js'
import { levelHarness } from '../helpers/level-harness.js'
import { onEachRedis } from '../helpers/redis-backends.js'

describeCredentialsContract('LevelCredentialsStore', () => levelHarness((db) => new LevelCredentialsStore(db)))

onEachRedis((backend) => {
  /** Each harness gets its own key prefix; open() after close() is a new connection, as after a restart. */
  describeCredentialsContract(backend.label('RedisCredentialsStore'), async () => {
    const prefix = `t${randomUUID()}:`
    let connection: RedisClient | undefined
    return {
      async open() {
        connection = backend.client()
        const store = new RedisCredentialsStore(connection, prefix)
        const handle = connection
        return Object.assign(store, { close: async () => handle.disconnect() })
      },
      async destroy() {}
    }
  })
})
