import type { ChainableCommander } from 'ioredis'
import { isCluster, type RedisClient } from '../../storage/redis-client.js'
import type { RedisHealth } from '../../storage/redis-health.js'
import type { ConnectionCounter } from './connection-counter.js'

/**
 * KEYS: 1 the user's counts (hash node -> n). ARGV: 1 node id, 2 delta.
 * Returns {this node's count, the user's total over all nodes}.
 */
const CHANGE = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
local total = 0
local counts = redis.call('HVALS', KEYS[1])
for i = 1, #counts do total = total + tonumber(counts[i]) end
return {n, total}
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
 * Every script, and every command, names one key, so all run on a Redis Cluster; the user's hash and
 * the node's set are written by separate commands, in an order that never leaves a count the
 * node's set does not name (changes of one user on this node run one at a time). `nodes` is
 * global to the deployment, written only by the heartbeat and the reaper (not per connection).
 */
export class RedisConnectionCounter implements ConnectionCounter {
  private heartbeat: NodeJS.Timeout | null = null
  private started = false
  /** Per user, the tail of this node's changes to it: one at a time, so the set follows the count. */
  private readonly changing = new Map<string, Promise<unknown>>()

  constructor(
    private readonly redis: RedisClient,
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
    await Promise.all([
      this.redis.set(this.key('node', this.options.nodeId), '1', 'PX', this.options.heartbeatTtlMs),
      this.redis.sadd(this.key('nodes'), this.options.nodeId)
    ])
  }

  private change(userId: string, delta: number): Promise<number> {
    const previous = this.changing.get(userId) ?? Promise.resolve()
    const done = previous.then(
      () => this.apply(userId, delta),
      () => this.apply(userId, delta)
    )
    this.changing.set(userId, done)
    const forget = () => {
      if (this.changing.get(userId) === done) this.changing.delete(userId)
    }
    done.then(forget, forget)
    return done
  }

  /** The node's set names the user before its count rises, and stops naming it once the count is gone. */
  private async apply(userId: string, delta: number): Promise<number> {
    const { nodeId } = this.options
    const nodeUsers = this.key('node-users', nodeId)
    // the set first: a count is never written that a reaper of this node could not find
    if (delta > 0) await this.redis.sadd(nodeUsers, userId)
    const [mine, total] = (await this.redis.eval(CHANGE, 1, this.key('connections', userId), nodeId, delta)) as number[]
    if (Number(mine) <= 0) await this.redis.srem(nodeUsers, userId)
    return Number(total)
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
    const keys = userIds.map((userId) => this.key('connections', userId))
    // one pipeline on a single server; on a Cluster each hash is in its own slot: one command each, sent together
    const fields = isCluster(this.redis)
      ? await Promise.all(keys.map((key) => this.redis.hlen(key)))
      : await pipelined(this.redis.pipeline(), keys)
    return userIds.filter((_, index) => (fields[index] ?? 0) > 0)
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
    await this.redis.del(this.key('node-users', node))
    await this.redis.srem(this.key('nodes'), node)
    return offline
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat)
    // if this fails, the heartbeat key still expires and other nodes reap our counts after the TTL
    await this.redis.del(this.key('node', this.options.nodeId)).catch((error: unknown) => this.health.failed('heartbeat-stop', error))
  }
}

async function pipelined(pipeline: ChainableCommander, keys: string[]): Promise<number[]> {
  for (const key of keys) pipeline.hlen(key)
  const replies = (await pipeline.exec()) ?? []
  return keys.map((_, index) => {
    const [error, fields] = replies[index] ?? [new Error('no reply'), 0]
    if (error) throw error
    return Number(fields)
  })
}
