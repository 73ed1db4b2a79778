import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MqchatError } from '../../core/errors.js'
import type { NewMessage } from '../../storage/chat-log/chat-log.js'
import type { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import type { RoomKeys } from '../../storage/chat-log/redis-keyspace.js'
import { startTestRedisChatLog, type TestRedisChatLog } from '../helpers/redis-chat-log.js'

const message = (id: string, from: string): NewMessage => ({ room: 'r', id, from, body: `from ${from}`, type: 'text' })

/**
 * Ids a Redis chat log stored before senders were recorded hold the bare seq: the append
 * script reads the sender from the room's stream entry instead (issue 6, item 9).
 */
describe('RedisChatLog: message ids stored without their sender', () => {
  let chatLog: TestRedisChatLog
  let connection: Redis
  let log: RedisChatLog
  let keys: RoomKeys

  beforeAll(async () => {
    chatLog = await startTestRedisChatLog()
    ;({ connection, log } = chatLog)
    keys = log.keyspace.room('r')
  })
  afterAll(() => chatLog.stop())

  it("still refuses another sender's id and answers its sender's retry with the first envelope", async () => {
    const first = await log.append(message('legacy', 'bob'))
    expect(await connection.hget(keys.ids, 'legacy')).toBe('1:bob')
    // as an older version wrote it
    await connection.hset(keys.ids, 'legacy', '1')

    const refused = await log.append(message('legacy', 'alice')).then(
      () => null,
      (error: unknown) => error
    )
    expect(refused).toBeInstanceOf(MqchatError)
    expect((refused as MqchatError).code).toBe('id_taken')
    const retry = await log.append(message('legacy', 'bob'))
    expect(retry).toMatchObject({ duplicate: true, envelope: first.envelope })
    expect(await log.lastSeq('r')).toBe(1)
  })
})
