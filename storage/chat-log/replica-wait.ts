import calculateSlot from 'cluster-key-slot'
import { Cluster, type Redis } from 'ioredis'
import { MqchatError } from '../../core/errors.js'
import type { RedisClient } from '../redis-client.js'

interface Waiter {
  resolve(): void
  reject(error: unknown): void
}

interface NodeQueue {
  waiting: Waiter[]
  busy: boolean
}

/**
 * MQCHAT_REDIS_WAIT_REPLICAS (SPEC §10): an append is acknowledged only once `replicas` replicas
 * hold it. WAIT counts the writes of the connection it is sent on, so it goes to the connection
 * that ran the append script: on a Cluster, the connection ioredis keeps to the master of the
 * key's slot (the one it routed the script to). One WAIT per node is in flight at a time and
 * answers every append whose reply came before it was sent (group commit): WAIT blocks its
 * connection, so one WAIT per append would serialize all sends of a node.
 */
export class ReplicaWait {
  private readonly queues = new Map<Redis, NodeQueue>()

  constructor(
    private readonly redis: RedisClient,
    private readonly replicas: number,
    private readonly timeoutMs: number
  ) {}

  /**
   * Resolves once the write made for `key` on `node` (its `nodeOf` before the write) is on
   * `replicas` replicas; rejects as `unavailable` otherwise, also when the slot had no known
   * master or moved meanwhile (a failover: the write may be on the old master only).
   */
  replicated(key: string, node: Redis | null): Promise<void> {
    if (node === null || this.nodeOf(key) !== node) {
      return Promise.reject(new MqchatError('unavailable', 'the room is moving to another Redis node; retry'))
    }
    let queue = this.queues.get(node)
    if (!queue) {
      queue = { waiting: [], busy: false }
      this.queues.set(node, queue)
    }
    const promise = new Promise<void>((resolve, reject) => queue.waiting.push({ resolve, reject }))
    if (!queue.busy) void this.flush(node, queue)
    return promise
  }

  /**
   * The connection a write of `key` goes to (the master of its slot on a Cluster), or null while
   * the slot table names a master the client no longer has (it died): the table is then refreshed
   * at once rather than at the next periodic refresh, and the send is refused meanwhile.
   */
  nodeOf(key: string): Redis | null {
    if (!(this.redis instanceof Cluster)) return this.redis
    const master = this.redis.slots[calculateSlot(key)]?.[0]
    const node = this.redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master)
    if (node) return node
    // a failed refresh is retried by the next send and by ioredis's periodic refresh
    this.redis.refreshSlotsCache(() => undefined)
    return null
  }

  private async flush(node: Redis, queue: NodeQueue): Promise<void> {
    queue.busy = true
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0)
      try {
        const acked = Number(await node.call('WAIT', this.replicas, this.timeoutMs))
        if (acked >= this.replicas) for (const waiter of batch) waiter.resolve()
        else {
          const error = new MqchatError(
            'unavailable',
            `the message is stored but only ${acked} of ${this.replicas} replicas confirmed it; retry`
          )
          for (const waiter of batch) waiter.reject(error)
        }
      } catch (error) {
        for (const waiter of batch) waiter.reject(new MqchatError('unavailable', 'the replicas could not be asked; retry', error))
      }
    }
    queue.busy = false
    if (queue.waiting.length === 0 && node.status === 'end') this.queues.delete(node)
  }
}
