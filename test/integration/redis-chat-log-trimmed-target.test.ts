import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { startTestRedisChatLog, type TestRedisChatLog } from '../helpers/redis-chat-log.js'

/**
 * The Redis room stream is capped: a delete of a message older than the stream has no entry to
 * tombstone. The pipeline hands the log the target it found in history, and the log keeps its
 * tombstone, so reads (and the history pages that prefer the log's tombstones) never answer the
 * body while the persisters have not purged history yet (SPEC §4b).
 */
describe('RedisChatLog: deleting a message its room stream no longer holds', () => {
  let chatLog: TestRedisChatLog
  let connection: Redis
  let log: RedisChatLog

  beforeAll(async () => {
    chatLog = await startTestRedisChatLog()
    ;({ connection, log } = chatLog)
  })
  afterAll(() => chatLog.stop())

  it('keeps the tombstone of the target it was handed and reads it in the target’s place', async () => {
    const sent = []
    for (let i = 1; i <= 3; i++)
      sent.push((await log.append({ room: 'r', id: `m${i}`, from: 'alice', type: 'text', body: `old secret ${i}` })).envelope)
    // as the stream's cap trims old entries
    await connection.xdel(log.keyspace.room('r').stream, '1-0', '2-0')
    expect((await log.read('r', 0, 10)).map((e) => e.seq)).toEqual([3])

    await log.append({ room: 'r', id: 'd1', from: 'alice', type: 'delete', target: 1, body: '', deletes: sent[0] })
    const read = await log.read('r', 0, 10)
    expect(read.map((e) => [e.seq, e.type])).toEqual([
      [1, 'text'],
      [3, 'text'],
      [4, 'delete']
    ])
    expect(read[0]).toEqual({ id: 'm1', room: 'r', seq: 1, from: 'alice', ts: sent[0]?.ts, type: 'text', body: '', deleted: true })
    expect(JSON.stringify(read)).not.toContain('old secret 1')

    // a relation racing the delete is refused by the log itself
    const late = await log.append({ room: 'r', id: 'e1', from: 'alice', type: 'edit', target: 1, body: 'late' }).then(
      () => 'accepted',
      (error: { code?: string }) => error.code
    )
    expect(late).toBe('bad_target')
    // positive control: without a target handed over, a trimmed message has nothing to tombstone
    await log.append({ room: 'r', id: 'd2', from: 'alice', type: 'delete', target: 2, body: '' })
    expect((await log.read('r', 0, 10)).map((e) => e.seq)).toEqual([1, 3, 4, 5])
  })
})
