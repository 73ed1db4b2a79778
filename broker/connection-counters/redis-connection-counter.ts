import type { Redis } from 'ioredis'
import type { RedisHealth } from '../../storage/redis-health.js'
import type { ConnectionCounter } from './connection-counter.js'

/**
 * KEYS: 1 the user's counts (hash node -> n), 2 the node's users (set)
 * ARGV: 1 node id, 2 user id, 3 delta. Returns the user's total over all nodes.
 */
const CHANGE = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[3])
if n <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[2])
else
  redis.call('SADD', KEYS[2], ARGV[2])
end
local total = 0
local counts = redis.call('HVALS', KEYS[1])
for i = 1, #counts do total = total + tonumber(counts[i]) end
return total
`

/** KEYS: 1 the user's counts. ARGV: 1 the dead node. Returns the user's remaining total. */
const FORGET_NODE = `
redis.call('HDEL', KEYS[1], ARGV[1])
local total = 0
local counts = redis.call('HVALS', KEYS[1])
for i = 1, #counts do total = total + tonumber(counts[i]) end
return total
`

export interface RedisConnectionCounterOptions {
  prefix: string
  nodeId: string
  /** A node whose heartbeat is older than this is dead and its connections are forgotten. */
  heartbeatTtlMs: number
}

/**
 * Per user, a hash of connection counts per node; per node, the set of users it counts and a
 * heartbeat key with a TTL. A node that crashes stops its heartbeat; any live node then forgets
 * its counts (and a restarted node with the same id forgets its own old ones at start).
 */
export class RedisConnectionCounter implements ConnectionCounter {
  private heartbeat: NodeJS.Timeout | null = null
  private started = false

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisConnectionCounterOptions,
    private readonly health: RedisHealth
  ) {}

  private key(...parts: string[]): string {
    return this.options.prefix + parts.join(':')
  }

  /** The first reap (before this node accepts connections) also forgets what an earlier run of this node id counted. */
  private async start(): Promise<string[]> {
    this.started = true
    const stale = await this.forgetNode(this.options.nodeId)
    await this.beat()
    // a few missed beats are harmless (the TTL spans three); once it lapses, other nodes forget our counts
    this.heartbeat = setInterval(
      () =>
        void this.beat().then(
          () => this.health.succeeded('heartbeat'),
          (error: unknown) => this.health.failed('heartbeat', error)
        ),
      this.options.heartbeatTtlMs / 3
    )
    this.heartbeat.unref()
    return stale
  }

  private async beat(): Promise<void> {
    await this.redis
      .multi()
      .set(this.key('node', this.options.nodeId), '1', 'PX', this.options.heartbeatTtlMs)
      .sadd(this.key('nodes'), this.options.nodeId)
      .exec()
  }

  private change(userId: string, delta: number): Promise<number> {
    const { nodeId } = this.options
    return this.redis.eval(CHANGE, 2, this.key('connections', userId), this.key('node-users', nodeId), nodeId, userId, delta).then(Number)
  }

  increment(userId: string): Promise<number> {
    return this.change(userId, 1)
  }

  decrement(userId: string): Promise<number> {
    return this.change(userId, -1)
  }

  /** A user's hash holds only positive counts (CHANGE deletes the rest): any field means online. */
  async online(userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return []
    const pipeline = this.redis.pipeline()
    for (const userId of userIds) pipeline.hlen(this.key('connections', userId))
    const replies = (await pipeline.exec()) ?? []
    return userIds.filter((_, index) => {
      const [error, fields] = replies[index] ?? [new Error('no reply'), 0]
      if (error) throw error
      return Number(fields) > 0
    })
  }

  async reapDeadNodes(): Promise<string[]> {
    const offline = this.started ? [] : await this.start()
    const nodes = await this.redis.smembers(this.key('nodes'))
    for (const node of nodes) {
      if (node === this.options.nodeId || (await this.redis.exists(this.key('node', node)))) continue
      // one reaper per dead node
      const claimed = await this.redis.set(this.key('reaping', node), this.options.nodeId, 'PX', this.options.heartbeatTtlMs, 'NX')
      if (claimed) offline.push(...(await this.forgetNode(node)))
    }
    return offline
  }

  private async forgetNode(node: string): Promise<string[]> {
    const users = await this.redis.smembers(this.key('node-users', node))
    const offline: string[] = []
    for (const userId of users) {
      const left = Number(await this.redis.eval(FORGET_NODE, 1, this.key('connections', userId), node))
      if (left === 0) offline.push(userId)
    }
    await this.redis.multi().del(this.key('node-users', node)).srem(this.key('nodes'), node).exec()
    return offline
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat)
    // if this fails, the heartbeat key still expires and other nodes reap our counts after the TTL
    await this.redis.del(this.key('node', this.options.nodeId)).catch((error: unknown) => this.health.failed('heartbeat-stop', error))
  }
}
