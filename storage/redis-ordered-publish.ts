import type { Cluster } from 'ioredis'
import { isCluster, type RedisClient } from './redis-client.js'

/** PUBLISH from a script whose one key is the channel: the script runs on the master of the channel's slot. */
const PUBLISH = "return redis.call('PUBLISH', KEYS[1], ARGV[1])"

/**
 * PUBLISH so that the messages of one channel reach subscribers in the order they were published.
 * On a Redis Cluster, ioredis sends a PUBLISH (no key) to a random node, and two nodes forward to
 * the rest of the Cluster independently: two messages to one channel could arrive swapped (a
 * membership removed before it was added). Sent as a script keyed by the channel, every message of
 * a channel leaves from one node, over one connection, in order.
 */
export async function publishInOrder(client: RedisClient, channel: string, message: string | Buffer): Promise<number> {
  if (!isCluster(client)) return client.publish(channel, message)
  return Number(await client.eval(PUBLISH, 1, channel, message))
}

/**
 * The client, with `publish` replaced by `publishInOrder` on a Cluster: for a library that publishes
 * on a connection it is given (mqemitter-redis, the fan-out of presence, typing and generic topics).
 */
export function orderedPublisher(client: RedisClient): RedisClient {
  if (!isCluster(client)) return client
  const publish = (channel: string, message: string | Buffer) => publishInOrder(client, channel, message)
  return new Proxy(client, {
    get(target: Cluster, property: PropertyKey) {
      if (property === 'publish') return publish
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}
