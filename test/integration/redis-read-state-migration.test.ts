import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisKeyspace } from '../../storage/chat-log/redis-keyspace.js'
import { migrateLegacyReadState } from '../../storage/read-pointers/redis-read-state-migration.js'
import { RedisReadStateStore } from '../../storage/read-pointers/redis-read-state-store.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

/** A single Redis written before partitions: read pointers and unread counts survive the upgrade. */
describe('RedisReadStateStore: start-up migration of the layout before partitions', () => {
  let redis: TestRedis
  let connection: Redis
  beforeAll(async () => {
    redis = await startTestRedis()
    connection = redis.client()
  })
  afterAll(() => redis.stop())

  /** Room r as the old version left it: 4 messages (2 from bob, 1 mentioning him), bob read up to 1. */
  async function writeOldLayout(prefix: string): Promise<void> {
    const base = `${prefix}rs:{r}:`
    await connection.set(`${base}rec`, '4')
    await connection.hset(`${base}read`, 'bob', '1', 'alice', '4')
    await connection.zadd(`${base}c`, 1, 1, 2, 2, 3, 3, 4, 4)
    await connection.zadd(`${base}o:bob`, 2, 2, 4, 4)
    await connection.zadd(`${base}o:alice`, 1, 1, 3, 3)
    await connection.zadd(`${base}m:bob`, 3, 3)
  }

  it('moves every key under the room partition, keeps pointers and counts, and runs once', async () => {
    const prefix = `t${randomUUID()}:`
    await writeOldLayout(prefix)
    const keyspace = new RedisKeyspace(prefix, 4)
    expect(await migrateLegacyReadState(connection, keyspace)).toBe(6)
    expect(await connection.keys(`${prefix}rs:{*`)).toEqual([])
    const store = new RedisReadStateStore(connection, keyspace, 10_000)
    expect(await store.recordedSeq('r')).toBe(4)
    expect(await store.counts('bob', 'r')).toEqual({ readSeq: 1, unread: 1, mentions: 1 })
    expect(await store.readers('r')).toEqual([
      { userId: 'alice', readSeq: 4 },
      { userId: 'bob', readSeq: 1 }
    ])
    // recording goes on from the migrated seq
    expect(await store.record('r', [{ seq: 5, from: 'alice', countable: true, mentions: ['bob'] }])).toBe(true)
    expect(await store.counts('bob', 'r')).toEqual({ readSeq: 1, unread: 2, mentions: 2 })
    // a second run finds the marker: old keys written meanwhile (an old node still running) stay put
    await connection.set(`${prefix}rs:{late}:rec`, '1')
    expect(await migrateLegacyReadState(connection, keyspace)).toBe(0)
    expect(await connection.exists(`${prefix}rs:{late}:rec`)).toBe(1)
  })

  it('never overwrites a key already in the new layout', async () => {
    const prefix = `t${randomUUID()}:`
    const keyspace = new RedisKeyspace(prefix, 4)
    await connection.set(`${prefix}rs:{r}:rec`, '2')
    const store = new RedisReadStateStore(connection, keyspace, 10_000)
    expect(
      await store.record(
        'r',
        [1, 2, 3].map((seq) => ({ seq, from: 'alice', countable: true, mentions: [] }))
      )
    ).toBe(true)
    expect(await migrateLegacyReadState(connection, keyspace)).toBe(0)
    expect(await store.recordedSeq('r')).toBe(3)
    expect(await connection.get(`${prefix}rs:{r}:rec`)).toBe('2')
  })
})
