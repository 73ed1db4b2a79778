import { MongoClient } from 'mongodb'
import { reachableMongodbUrl } from '../../bench/services/external-mongodb.js'
import { ferretdbPath, startFerretdb } from '../../bench/services/ferretdb.js'
import { Janitor } from '../../bench/services/janitor.js'
import { makeTempDir } from './temp-dir.js'

export interface TestMongo {
  url: string
  /** A client on the server; each suite should use its own database name. */
  client(): Promise<MongoClient>
  stop(): Promise<void>
}

/**
 * MONGODB_URL when it points at a reachable server (a real MongoDB); otherwise a private
 * FerretDB (SQLite backend, telemetry off) on a unix socket in a temp directory, started
 * the way `mqchat bench` starts its own.
 */
export async function startTestMongo(): Promise<TestMongo> {
  const clients: MongoClient[] = []
  const connect = async (url: string) => {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 })
    await client.connect()
    clients.push(client)
    return client
  }
  const closeClients = () => Promise.all(clients.map((c) => c.close()))

  const external = await reachableMongodbUrl()
  if (external) return { url: external, client: () => connect(external), stop: async () => void (await closeClients()) }

  const binary = ferretdbPath()
  if (!binary) throw new Error('FerretDB not found: run .ci/install-ferretdb, or set MONGODB_URL to a reachable MongoDB')
  const dir = await makeTempDir('mqchat-ferretdb-')
  const janitor = new Janitor()
  try {
    const server = await startFerretdb(binary, dir.path, janitor)
    return {
      url: server.url,
      client: () => connect(server.url),
      async stop() {
        await closeClients()
        await janitor.cleanUp()
        await dir.remove()
      }
    }
  } catch (error) {
    await janitor.cleanUp()
    await dir.remove()
    throw error
  }
}
