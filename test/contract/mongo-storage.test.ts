import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { describeAccountsContract } from '../../storage/accounts/accounts.contract.js'
import { MongoAccountsStore } from '../../storage/accounts/mongo-accounts-store.js'
import { describeHistoryContract } from '../../storage/history/history.contract.js'
import { MongoHistoryStore } from '../../storage/history/mongo-history-store.js'
import { MongoRoomSettingsStore } from '../../storage/room-settings/mongo-room-settings-store.js'
import { describeRoomSettingsContract } from '../../storage/room-settings/room-settings.contract.js'
import { startTestMongo, type TestMongo } from '../helpers/mongo-server.js'

let mongo: TestMongo
beforeAll(async () => {
  mongo = await startTestMongo()
})
afterAll(async () => {
  await mongo.stop()
})

/** Each harness gets its own database; open() after close() is a new client, as after a restart. */
function mongoHarness<T extends { close(): Promise<void> }>(open: (db: import('mongodb').Db) => Promise<T>) {
  return async () => {
    const name = `t_${randomUUID().replaceAll('-', '').slice(0, 20)}`
    return {
      async open() {
        const client = await mongo.client()
        const store = await open(client.db(name))
        const close = store.close.bind(store)
        return Object.assign(store, {
          close: async () => {
            await close()
            await client.close()
          }
        })
      },
      async destroy() {
        const client = await mongo.client()
        await client.db(name).dropDatabase()
        await client.close()
      }
    }
  }
}

describeHistoryContract(
  'MongoHistoryStore',
  mongoHarness((db) => MongoHistoryStore.open(db))
)
describeAccountsContract(
  'MongoAccountsStore',
  mongoHarness((db) => MongoAccountsStore.open(db))
)
describeRoomSettingsContract(
  'MongoRoomSettingsStore',
  mongoHarness((db) => MongoRoomSettingsStore.open(db))
)
