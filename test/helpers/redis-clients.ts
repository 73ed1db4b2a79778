import type { Redis } from 'ioredis'
import { isCluster, type RedisClient } from '../../storage/redis-client.js'

/**
 * Kills the connection named `name` (CLIENT SETNAME) and runs `meanwhile` in the same
 * transaction, so what it does happens while that connection is gone: a pub/sub message
 * published there is never seen by it. Returns how many connections were killed.
 */
export async function killNamedConnection(
  admin: Redis,
  name: string,
  meanwhile?: (transaction: ReturnType<Redis['multi']>) => void
): Promise<number> {
  const list = (await admin.call('CLIENT', 'LIST')) as string
  const ids = list
    .split('\n')
    .filter((row) => row.includes(` name=${name} `))
    .map((row) => row.match(/^id=(\d+) /)?.[1])
    .filter((id) => id !== undefined)
  const transaction = admin.multi()
  for (const id of ids) transaction.call('CLIENT', 'KILL', 'ID', id)
  meanwhile?.(transaction)
  const replies = (await transaction.exec()) ?? []
  for (const [error] of replies) if (error) throw error
  return ids.length
}

/**
 * `killNamedConnection` on the node that holds the connection: on a Redis Cluster, each node is
 * asked in turn, and `meanwhile` runs in the transaction of the node where it is killed (a PUBLISH
 * there reaches the whole Cluster, while the connection is gone).
 */
export async function killNamedConnectionAnywhere(
  admin: RedisClient,
  name: string,
  meanwhile?: (transaction: ReturnType<Redis['multi']>) => void
): Promise<number> {
  if (!isCluster(admin)) return killNamedConnection(admin, name, meanwhile)
  await admin.ping()
  for (const node of admin.nodes('all')) {
    const list = (await node.call('CLIENT', 'LIST')) as string
    if (list.split('\n').some((row) => row.includes(` name=${name} `))) return killNamedConnection(node, name, meanwhile)
  }
  return 0
}
