import { Counter, Gauge, type Registry } from 'prom-client'
import type { Logger } from '../core/logger.js'
import { isCluster, type RedisClient } from './redis-client.js'

/**
 * What every Redis connection and every retried Redis operation reports to. While Redis is
 * away ioredis emits an error per reconnect attempt and a loop fails once per retry: both are
 * counted every time but logged once per state change (lost, then restored). A Redis Cluster
 * client is up while it serves every slot; a node of it failing is counted as an error of the role
 * (the client moves to the promoted replica on its own).
 */
export interface RedisHealth {
  /** Follows a connection's state under a role name (one role per connection of a node); returns it. */
  watch<T extends RedisClient>(connection: T, role: string): T
  /** A retried operation failed: counted always, logged when it starts failing. */
  failed(operation: string, error: unknown): void
  /** A retried operation worked: logged when it had been failing. */
  succeeded(operation: string): void
}

export interface RedisHealthMetrics {
  up: Gauge<'role'>
  errors: Counter<'role'>
  failures: Counter<'operation'>
}

export class RedisHealthMonitor implements RedisHealth {
  readonly metrics: RedisHealthMetrics
  private readonly failing = new Map<string, number>()

  constructor(
    private readonly logger: Logger,
    registry: Registry
  ) {
    this.metrics = {
      up: new Gauge({
        name: 'mqchat_redis_up',
        help: 'Whether a Redis connection of this node is ready (1) or not (0), by connection role',
        labelNames: ['role'] as const,
        registers: [registry]
      }),
      errors: new Counter({
        name: 'mqchat_redis_connection_errors_total',
        help: 'Errors reported by Redis connections (one per failed reconnect attempt while Redis is away), by role',
        labelNames: ['role'] as const,
        registers: [registry]
      }),
      failures: new Counter({
        name: 'mqchat_redis_retries_total',
        help: 'Redis operations that failed and will be retried (chat log tail, heartbeat, ...), by operation',
        labelNames: ['operation'] as const,
        registers: [registry]
      })
    }
  }

  watch<T extends RedisClient>(connection: T, role: string): T {
    let up = connection.status === 'ready'
    let lastError: unknown = null
    let attempts = 0
    this.metrics.up.set({ role }, up ? 1 : 0)
    connection.on('error', (error: unknown) => {
      this.metrics.errors.inc({ role })
      lastError = error
      // while down, every reconnect attempt errs: counted, and the transition to down logs the last one
      this.logger.debug({ role, err: error }, 'redis connection error')
    })
    if (isCluster(connection))
      connection.on('node error', (error: unknown, node: string) => {
        this.metrics.errors.inc({ role })
        this.logger.debug({ role, node, err: error }, 'redis cluster node error')
      })
    connection.on('reconnecting', () => {
      attempts += 1
    })
    connection.on('ready', () => {
      this.metrics.up.set({ role }, 1)
      if (!up && attempts > 0) this.logger.info({ role, attempts }, 'redis connection restored')
      up = true
      attempts = 0
      lastError = null
    })
    connection.on('close', () => {
      this.metrics.up.set({ role }, 0)
      // status events are emitted a tick late: by now ioredis has decided between reconnecting and ending
      if (up && connection.status === 'reconnecting')
        this.logger.warn({ role, err: lastError ?? undefined }, 'redis connection lost; reconnecting')
      else if (up) this.logger.debug({ role }, 'redis connection closed')
      up = false
    })
    return connection
  }

  failed(operation: string, error: unknown): void {
    this.metrics.failures.inc({ operation })
    const count = (this.failing.get(operation) ?? 0) + 1
    this.failing.set(operation, count)
    if (count === 1) this.logger.warn({ operation, err: error }, 'redis operation failed; retrying')
  }

  succeeded(operation: string): void {
    const count = this.failing.get(operation)
    if (count === undefined) return
    this.failing.delete(operation)
    this.logger.info({ operation, failures: count }, 'redis operation recovered')
  }
}
