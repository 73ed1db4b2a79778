import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChatLog, NewMessage } from '../../storage/chat-log/chat-log.js'
import { LevelChatLog } from '../../storage/chat-log/level-chat-log.js'
import { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { RedisKeyspace } from '../../storage/chat-log/redis-keyspace.js'
import { LevelHistoryStore } from '../../storage/history/level-history-store.js'
import { openLevel, type StringLevel } from '../../storage/level.js'
import { LevelReadStateStore } from '../../storage/read-pointers/level-read-state-store.js'
import type { ReadStateStore } from '../../storage/read-pointers/read-state-store.js'
import { ReadTracker } from '../../storage/read-pointers/read-tracker.js'
import { RedisReadStateStore } from '../../storage/read-pointers/redis-read-state-store.js'
import { testRedisHealth } from '../helpers/redis-health.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const members = ['alice', 'bob', 'carol']
const message = (id: string, from: string, body = `body ${id}`): NewMessage => ({ room: 'r1', id, from, body, type: 'text' })

interface Backend {
  chatLog: ChatLog
  store: ReadStateStore
  close(): Promise<void>
}

/**
 * The counters after a node crashed between append and count, or two nodes finished their appends out
 * of order: the gap is filled from the chat log, on real LevelDB and a real Redis.
 */
function describeCatchUp(name: string, open: () => Promise<Backend>) {
  describe(`ReadTracker fills the counters' gaps from the log (${name})`, () => {
    let backend: Backend
    let tracker: ReadTracker
    let history: LevelHistoryStore
    let historyDb: StringLevel
    let dir: Awaited<ReturnType<typeof makeTempDir>>

    beforeAll(async () => {
      backend = await open()
      dir = await makeTempDir()
      historyDb = await openLevel(dir.path)
      history = new LevelHistoryStore(historyDb)
      tracker = new ReadTracker({ store: backend.store, chatLog: backend.chatLog, history, membersOf: async () => members })
    })
    afterAll(async () => {
      await backend.close()
      await historyDb.close()
      await dir.remove()
    })

    it('counts appends no node recorded (a crash after the append) at the next read', async () => {
      await backend.chatLog.append(message('m1', 'alice'))
      await backend.chatLog.append(message('m2', 'bob', 'hey @carol'))
      await backend.chatLog.append(message('m3', 'alice'))
      expect(await backend.store.recordedSeq('r1')).toBe(0)
      expect(await tracker.summary('bob', 'r1')).toEqual({ lastSeq: 3, readSeq: 0, unread: 2, mentions: 0 })
      expect(await tracker.summary('carol', 'r1')).toEqual({ lastSeq: 3, readSeq: 0, unread: 3, mentions: 1 })
      expect(await backend.store.recordedSeq('r1')).toBe(3)
    })

    it('counts an append that finished before an earlier one, and the earlier one once', async () => {
      const early = await backend.chatLog.append(message('m4', 'carol'))
      const late = await backend.chatLog.append(message('m5', 'carol', '@bob look'))
      // the node of seq 5 records first: seq 4 is read from the log
      expect((await tracker.appended(late.envelope)).mentions).toEqual(['bob'])
      await tracker.appended(early.envelope)
      expect(await tracker.summary('bob', 'r1')).toEqual({ lastSeq: 5, readSeq: 0, unread: 4, mentions: 1 })
      expect(await backend.store.recordedSeq('r1')).toBe(5)
    })
  })
}

describeCatchUp('embedded', async () => {
  const dir = await makeTempDir()
  const [logDb, stateDb] = await Promise.all([openLevel(`${dir.path}/log`), openLevel(`${dir.path}/state`)])
  const chatLog = await LevelChatLog.open(logDb)
  return {
    chatLog,
    store: new LevelReadStateStore(stateDb),
    async close() {
      await chatLog.close()
      await Promise.all([logDb.close(), stateDb.close()])
      await dir.remove()
    }
  }
})

let redis: TestRedis
describeCatchUp('Redis', async () => {
  redis = await startTestRedis()
  const connection = redis.client()
  const prefix = `t${randomUUID()}:`
  const chatLog = new RedisChatLog(connection, { prefix, claimIdleMs: 30_000 }, testRedisHealth())
  return {
    chatLog,
    store: new RedisReadStateStore(connection, new RedisKeyspace(prefix, 16), 10_000),
    async close() {
      await chatLog.close()
      connection.disconnect()
      await redis.stop()
    }
  }
})
