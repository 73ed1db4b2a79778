import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLAIM_IDLE_MS, describeChatLogContract } from '../../storage/chat-log/chat-log.contract.js'
import { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { RedisKeyspace } from '../../storage/chat-log/redis-keyspace.js'
import { CLIENT_OWNER_TTL_SECONDS, describeClientOwnersContract } from '../../storage/client-owners/client-owners.contract.js'
import { RedisClientOwners } from '../../storage/client-owners/redis-client-owners.js'
import { describeReadStateContract } from '../../storage/read-pointers/read-state.contract.js'
import { RedisReadStateStore } from '../../storage/read-pointers/redis-read-state-store.js'
import { RedisSessionCursors } from '../../storage/session-cursors/redis-session-cursors.js'
import { describeSessionCursorsContract } from '../../storage/session-cursors/session-cursors.contract.js'
import { onEachRedis } from '../helpers/redis-backends.js'
import { testRedisHealth } from '../helpers/redis-health.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

describe('the chat log on a single Redis', () => {
  let redis: TestRedis
  beforeAll(async () => {
    redis = await startTestRedis()
  })
  afterAll(async () => {
    await redis.stop()
  })

  /** Each harness gets its own key prefix; open() after close() is a new connection, as after a restart. */
  async function redisChatLogHarness() {
    const prefix = `t${randomUUID()}:`
    let connection: Redis | undefined
    return {
      async open() {
        connection = redis.client()
        const log = new RedisChatLog(connection, { prefix, claimIdleMs: CLAIM_IDLE_MS }, testRedisHealth())
        const handle = connection
        const close = log.close.bind(log)
        return Object.assign(log, {
          close: async () => {
            await close()
            handle.disconnect()
          }
        })
      },
      async destroy() {}
    }
  }

  describeChatLogContract('RedisChatLog', redisChatLogHarness)
})

/** A small window, so that the cap is reached in a test. */
const READ_STATE_WINDOW = 100

onEachRedis((backend) => {
  describeSessionCursorsContract(backend.label('RedisSessionCursors'), async () => {
    const prefix = `t${randomUUID()}:`
    return {
      async open() {
        const connection = backend.client()
        const store = new RedisSessionCursors(connection, prefix)
        return Object.assign(store, { close: async () => connection.disconnect() })
      },
      async destroy() {}
    }
  })

  describeClientOwnersContract(backend.label('RedisClientOwners'), async () => {
    const prefix = `t${randomUUID()}:`
    return {
      async open() {
        const connection = backend.client()
        const store = new RedisClientOwners(connection, prefix, CLIENT_OWNER_TTL_SECONDS)
        return Object.assign(store, { close: async () => connection.disconnect() })
      },
      async destroy() {}
    }
  })

  describeReadStateContract(backend.label('RedisReadStateStore'), async () => {
    const keyspace = new RedisKeyspace(`t${randomUUID()}:`, 16)
    return {
      async open() {
        const connection = backend.client()
        const store = new RedisReadStateStore(connection, keyspace, READ_STATE_WINDOW)
        return Object.assign(store, { close: async () => connection.disconnect() })
      },
      async destroy() {}
    }
  })

  describe(backend.label('RedisReadStateStore past its window'), () => {
    it('keeps the newest window of seqs per set: counts are exact within it and capped beyond', async () => {
      const keyspace = new RedisKeyspace(`t${randomUUID()}:`, 16)
      const connection = backend.client()
      const store = new RedisReadStateStore(connection, keyspace, READ_STATE_WINDOW)
      const entries = Array.from({ length: 250 }, (_, i) => ({
        seq: i + 1,
        from: i % 5 === 0 ? 'bob' : 'alice',
        countable: true,
        mentions: i % 2 === 0 ? ['bob'] : []
      }))
      for (let i = 0; i < entries.length; i += 50) expect(await store.record('r1', entries.slice(i, i + 50))).toBe(true)
      // seqs 151..250: 100 countable, 20 of them bob's own, 50 mention bob
      expect(await store.counts('bob', 'r1')).toEqual({ readSeq: 0, unread: 80, mentions: 50 })
      expect(await store.counts('carol', 'r1')).toEqual({ readSeq: 0, unread: 100, mentions: 0 })
      await store.markRead('bob', 'r1', 240)
      // seqs 241..250: bob wrote 241 and 246; 241, 243, ..., 249 mention him
      expect(await store.counts('bob', 'r1')).toEqual({ readSeq: 240, unread: 8, mentions: 5 })
      const base = `${keyspace.partitionBase(keyspace.partitionOf('r1'))}rs:r1:`
      const sizes = await Promise.all(['c', 'o:alice', 'o:bob', 'm:bob'].map((set) => connection.zcard(`${base}${set}`)))
      expect(sizes).toEqual([100, 80, 20, 50])
      connection.disconnect()
    })
  })
})
