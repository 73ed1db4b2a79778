import { Redis } from 'ioredis'
import { Janitor } from '../../bench/services/janitor.js'
import { type RedisServer, startRedisServer } from '../../bench/services/redis-server.js'
import { makeTempDir } from './temp-dir.js'

export interface TestRedis extends Omit<RedisServer, 'pid'> {
  /** A client on the server, disconnected by `stop`. */
  client(): Redis
}

/** A private redis-server (the one `mqchat bench` starts) in its own temp directory. */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = await makeTempDir('mqchat-redis-')
  const janitor = new Janitor()
  janitor.defer(`remove ${dir.path}`, () => dir.remove())
  const clients: Redis[] = []
  const server = await startRedisServer(dir.path, janitor).catch(async (error: unknown) => {
    await janitor.cleanUp()
    throw error
  })
  return {
    socket: server.socket,
    url: server.url,
    kill: server.kill,
    terminate: server.terminate,
    running: server.running,
    restart: server.restart,
    client() {
      const client = new Redis({ path: server.socket, maxRetriesPerRequest: 3 })
      clients.push(client)
      return client
    },
    async stop() {
      for (const client of clients) client.disconnect()
      await janitor.cleanUp()
    }
  }
}
