import { randomUUID } from 'node:crypto'
import type { RedisClient } from '../../storage/redis-client.js'
import type { RedisHealth } from '../../storage/redis-health.js'
import type { LiveConnection } from './connection-registry.js'
import { byConnectedAt, type ConnectionRegistry, type RegisteredConnection } from './connection-registry.js'

export interface RedisConnectionRegistryOptions {
  prefix: string
  nodeId: string
}

/**
 * Per user, a hash `{prefix}live-connections:{userId}` of field `{node}|{run}|{n}` -> the
 * connection (JSON). `run` is this process's start: `{prefix}live-run:{node}` names the current
 * run of each node id. An entry counts only while its node's heartbeat (`{prefix}node:{node}`,
 * kept by the connection counter) lives and its run is the node's current one; other entries
 * (a node that crashed, or an earlier run of a restarted node id) are deleted when read.
 * Every command names one key: all run on a Redis Cluster.
 */
export class RedisConnectionRegistry implements ConnectionRegistry {
  private readonly run = randomUUID()
  private readonly fields = new WeakMap<LiveConnection, string>()
  private serial = 0
  /** Whether this run is the node id's current one in Redis; announced at start, so an earlier run's entries stop counting at once. */
  private announced: Promise<boolean>

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisConnectionRegistryOptions,
    private readonly health: RedisHealth
  ) {
    this.announced = this.announce()
  }

  private announce(): Promise<boolean> {
    return this.redis.set(this.key('live-run', this.options.nodeId), this.run).then(
      () => {
        this.health.succeeded('connection-registry-run')
        return true
      },
      (error: unknown) => {
        this.health.failed('connection-registry-run', error)
        return false
      }
    )
  }

  private key(...parts: string[]): string {
    return this.options.prefix + parts.join(':')
  }

  opened(connection: LiveConnection): void {
    const field = `${this.options.nodeId}|${this.run}|${++this.serial}`
    this.fields.set(connection, field)
    // the run is announced before this node's entries are written, so no reader takes them for stale ones
    this.announced = this.announced.then((done) => done || this.announce())
    this.report(
      'connection-register',
      this.announced.then(() => this.redis.hset(this.key('live-connections', connection.userId), field, JSON.stringify(connection)))
    )
  }

  closed(connection: LiveConnection): void {
    const field = this.fields.get(connection)
    if (field === undefined) return
    this.fields.delete(connection)
    this.report(
      'connection-unregister',
      this.announced.then(() => this.redis.hdel(this.key('live-connections', connection.userId), field))
    )
  }

  async of(userId: string): Promise<RegisteredConnection[]> {
    const key = this.key('live-connections', userId)
    const entries = Object.entries(await this.redis.hgetall(key))
    const nodes = [...new Set(entries.map(([field]) => field.split('|')[0] ?? ''))]
    const current = new Map<string, string | null>()
    for (const node of nodes) {
      const [alive, run] = await Promise.all([this.redis.exists(this.key('node', node)), this.redis.get(this.key('live-run', node))])
      current.set(node, alive ? run : null)
    }
    const live: RegisteredConnection[] = []
    const stale: string[] = []
    for (const [field, json] of entries) {
      const [node = '', run] = field.split('|')
      if (current.get(node) === run) live.push({ ...(JSON.parse(json) as LiveConnection), node })
      else stale.push(field)
    }
    if (stale.length > 0) await this.redis.hdel(key, ...stale)
    return live.sort(byConnectedAt)
  }

  async close(): Promise<void> {
    // the node's entries are removed as its connections close; a crash leaves them to the heartbeat check
  }

  private report(operation: string, done: Promise<unknown>): void {
    done.then(
      () => this.health.succeeded(operation),
      (error: unknown) => this.health.failed(operation, error)
    )
  }
}
