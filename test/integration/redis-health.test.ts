import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisConnectionCounter } from '../../broker/connection-counters/redis-connection-counter.js'
import type { Envelope } from '../../core/message.js'
import { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { RedisHealthMonitor } from '../../storage/redis-health.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

interface LogLine {
  level: number
  msg: string
  role?: string
  operation?: string
}

/** Polls until `predicate` holds; the test's timeout bounds it. */
async function until(predicate: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 20))
}

describe('Redis health: connection state, retries and heartbeats while Redis is away', () => {
  let redis: TestRedis
  beforeAll(async () => {
    redis = await startTestRedis()
  })
  afterAll(async () => {
    await redis.stop()
  })

  it('logs each connection loss and recovery once, however many reconnect attempts, and counts every failure', async () => {
    const lines: LogLine[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as LogLine)
        done()
      }
    })
    const registry = new Registry()
    const health = new RedisHealthMonitor(pino({ level: 'info' }, sink), registry)
    // reconnect every 20 ms: many attempts while the server is down
    const connection = health.watch(new Redis({ path: redis.socket, maxRetriesPerRequest: 1, retryStrategy: () => 20 }), 'commands')
    const prefix = `h${randomUUID()}:`
    const log = new RedisChatLog(connection, { prefix }, health)
    const counter = new RedisConnectionCounter(connection, { prefix, nodeId: 'n1', heartbeatTtlMs: 150 }, health)
    try {
      const tailed: Envelope[] = []
      await log.tail(({ envelope }) => tailed.push(envelope))
      await log.follow('r')
      expect(await counter.reapDeadNodes()).toEqual([])
      const up = async (role: string) => (await health.metrics.up.get()).values.find((v) => v.labels.role === role)?.value
      await until(async () => (await up('room-feed')) === 1)
      expect(await up('commands')).toBe(1)

      let attempts = 0
      connection.on('reconnecting', () => {
        attempts += 1
      })
      await redis.kill()
      await until(async () => attempts >= 5 && (await up('commands')) === 0 && (await up('room-feed')) === 0)
      const failures = async (operation: string) =>
        (await health.metrics.failures.get()).values.find((v) => v.labels.operation === operation)?.value ?? 0
      await until(async () => (await failures('heartbeat')) >= 2)

      await redis.restart()
      await until(async () => (await up('commands')) === 1 && (await up('room-feed')) === 1)
      // the followed room's feed is subscribed again: a message appended now is delivered
      await log.append({ room: 'r', id: 'm1', from: 'alice', body: 'after the outage', type: 'text' })
      await until(() => tailed.length === 1)
      await until(() => lines.some((l) => l.operation === 'heartbeat' && l.msg === 'redis operation recovered'))

      const about = (role: string, msg: string) => lines.filter((l) => l.role === role && l.msg === msg).length
      expect([about('commands', 'redis connection lost; reconnecting'), about('commands', 'redis connection restored')]).toEqual([1, 1])
      expect([about('room-feed', 'redis connection lost; reconnecting'), about('room-feed', 'redis connection restored')]).toEqual([1, 1])
      const failing = (operation: string) => lines.filter((l) => l.operation === operation && l.msg === 'redis operation failed; retrying')
      expect(failing('heartbeat')).toHaveLength(1)
      expect((await health.metrics.errors.get()).values.find((v) => v.labels.role === 'commands')?.value).toBeGreaterThanOrEqual(5)
      expect(await registry.metrics()).toMatch(/mqchat_redis_up\{role="room-feed"\} [01]/)
    } finally {
      await counter.close()
      await log.close()
      connection.disconnect()
    }
  })
})
