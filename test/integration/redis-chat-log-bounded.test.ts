import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MqchatError } from '../../core/errors.js'
import type { NewMessage } from '../../storage/chat-log/chat-log.js'
import { RedisChatLog, type RedisChatLogOptions } from '../../storage/chat-log/redis-chat-log.js'
import { testRedisHealth } from '../helpers/redis-health.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

const text = (room: string, id: string, from = 'alice'): NewMessage => ({ room, id, from, type: 'text', body: `body ${id}` })

/** What the Redis chat log keeps is bounded (SPEC §10): idempotency window, tombstones and edits, replicas asked. */
describe('RedisChatLog: bounded memory and acknowledged-means-replicated', () => {
  let redis: TestRedis
  let connection: Redis
  const logs: RedisChatLog[] = []
  const open = (options: Partial<RedisChatLogOptions>) => {
    const log = new RedisChatLog(connection, { prefix: `t${randomUUID()}:`, ...options }, testRedisHealth())
    logs.push(log)
    return log
  }

  beforeAll(async () => {
    redis = await startTestRedis()
    connection = redis.client()
  })
  afterAll(async () => {
    for (const log of logs) await log.close()
    await redis.stop()
  })

  it('remembers ids for one to two windows of the room, then forgets the oldest generation', async () => {
    const log = open({ idempotencyWindow: 5 })
    for (let i = 1; i <= 12; i++) await log.append(text('r', `m${i}`))
    const keys = log.keyspace.room('r')
    expect(await connection.hlen(keys.ids)).toBeLessThan(5)
    expect(await connection.hlen(keys.idsPrevious)).toBe(5)
    // m12 is in the newest generation, m8 in the previous one: both are still duplicates
    expect(await log.append(text('r', 'm12'))).toMatchObject({ duplicate: true, envelope: { seq: 12 } })
    expect(await log.append(text('r', 'm8'))).toMatchObject({ duplicate: true, envelope: { seq: 8 } })
    expect((await log.append(text('r', 'm8', 'mallory')).catch((error: MqchatError) => error)) as MqchatError).toMatchObject({
      code: 'id_taken'
    })
    // m1 is past the window: the log takes it as new (the history's unique index stops a second stored copy)
    expect(await log.append(text('r', 'm1'))).toMatchObject({ duplicate: false, envelope: { seq: 13 } })
  })

  it('drops tombstones and edits of seqs older than the room stream every trim interval', async () => {
    const log = open({ roomStreamLength: 5, trimEvery: 10 })
    await log.append(text('r', 'old'))
    await log.append({ room: 'r', id: 'e1', from: 'alice', type: 'edit', target: 1, body: 'edited' })
    await log.append({ room: 'r', id: 'e2', from: 'alice', type: 'edit', target: 2, body: 'edit of an edit' })
    await log.append(text('r', 'kept'))
    const keys = log.keyspace.room('r')
    expect(await connection.zrange(keys.edits, 0, -1, 'WITHSCORES')).toEqual(['2', '1', '3', '2'])
    await log.append({ room: 'r', id: 'd1', from: 'alice', type: 'delete', target: 1, body: '' })
    expect(await connection.zrange(keys.edits, 0, -1, 'WITHSCORES')).toEqual(['3', '2'])
    for (let i = 6; i <= 8; i++) await log.append(text('r', `m${i}`))
    await log.append({ room: 'r', id: 'd2', from: 'alice', type: 'delete', target: 8, body: '' })
    expect(await connection.zrange(keys.tombstones, 0, -1, 'WITHSCORES')).toHaveLength(6)
    // seq 10 trims below 10 - 5 = 5: the tombstones of 1 and 2 and the edit of 2 go, the one of 8 stays
    await log.append(text('r', 'm10'))
    expect((await connection.zrange(keys.tombstones, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1)).toEqual(['8'])
    expect(await connection.zcard(keys.edits)).toBe(0)
    expect((await log.read('r', 7, 10)).map((e) => [e.seq, e.type, e.body])).toEqual([
      [8, 'text', ''],
      [9, 'delete', ''],
      [10, 'text', 'body m10']
    ])
  })

  it('spreads the log over partitions: each entry once, in order per room, none starved, positions name the partition', async () => {
    const log = open({ partitions: 4 })
    const rooms = Array.from({ length: 12 }, (_, i) => `room-${i}`)
    expect(new Set(rooms.map((room) => log.keyspace.partitionOf(room))).size).toBeGreaterThan(1)
    expect(await log.fetch('w1', 10, 0)).toEqual([])
    for (let i = 0; i < 5; i++) await Promise.all(rooms.map((room) => log.append(text(room, `m${i}`))))
    expect(await log.backlog()).toBe(60)
    const seen = new Map<string, number[]>()
    for (let batch = await log.fetch('w1', 7, 0); batch.length > 0; batch = await log.fetch('w1', 7, 0)) {
      expect(batch.length).toBeLessThanOrEqual(7)
      for (const { position, envelope } of batch) {
        expect(position.startsWith(`${log.keyspace.partitionOf(envelope.room)}/`)).toBe(true)
        seen.set(envelope.room, [...(seen.get(envelope.room) ?? []), envelope.seq])
      }
      await log.ack(batch.map((e) => e.position))
    }
    for (const room of rooms) expect(seen.get(room)).toEqual([1, 2, 3, 4, 5])
    expect(await log.backlog()).toBe(0)
    expect(await log.pendingCount()).toBe(0)
    await expect(log.ack(['99/1-0'])).rejects.toThrow('not a chat log position')
  })

  it('refuses a send no replica confirmed as unavailable; it is stored, and its retry keeps its seq', async () => {
    const log = open({ waitReplicas: 1, waitTimeoutMs: 50 })
    const first = await log.append(text('r', 'm1')).catch((error: unknown) => error)
    expect(first).toBeInstanceOf(MqchatError)
    expect((first as MqchatError).code).toBe('unavailable')
    const retry = await log.append(text('r', 'm1')).catch((error: unknown) => error)
    expect((retry as MqchatError).code).toBe('unavailable')
    expect(await log.lastSeq('r')).toBe(1)
    expect((await log.read('r', 0, 10)).map((e) => e.id)).toEqual(['m1'])
    // positive control: without the wait the same server acknowledges
    expect((await open({}).append(text('r', 'm1'))).envelope.seq).toBe(1)
  })
})
