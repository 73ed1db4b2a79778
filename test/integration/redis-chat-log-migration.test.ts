import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MqchatError } from '../../core/errors.js'
import { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { layoutMarker, migrateLegacyChatLog } from '../../storage/chat-log/redis-log-migration.js'
import { testRedisHealth } from '../helpers/redis-health.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

const envelope = (seq: number, id: string, from: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, room: 'r', seq, from, ts: 1000 + seq, type: 'text', body: `secret ${id}`, ...extra })

/**
 * A single Redis written before partitions (issue 10): seqs go on where they were, ids, tombstones
 * and edits keep working, and what the persisters had not acknowledged is still handed to them.
 */
describe('RedisChatLog: start-up migration of the layout before partitions', () => {
  let redis: TestRedis
  let connection: Redis
  beforeAll(async () => {
    redis = await startTestRedis()
    connection = redis.client()
  })
  afterAll(() => redis.stop())

  /** Room r as the old version left it: 1 text, 2 deleted (tombstone), 3 an edit of 1; the global log with two groups. */
  async function writeOldLayout(prefix: string): Promise<void> {
    await connection.set(`${prefix}seq:r`, '3')
    await connection.hset(`${prefix}ids:r`, 'm1', '1:alice', 'm2', '2', 'e1', '3:alice')
    await connection.xadd(`${prefix}room:r`, '1-0', 'p', envelope(1, 'm1', 'alice'))
    await connection.xadd(`${prefix}room:r`, '3-0', 'p', envelope(3, 'e1', 'alice', { type: 'edit', target: 1 }))
    await connection.hset(`${prefix}tomb:r`, '2', envelope(2, 'm2', 'bob', { body: '', deleted: true }))
    await connection.sadd(`${prefix}edits:r:1`, '3')
    await connection.xgroup('CREATE', `${prefix}log`, 'persisters', '0', 'MKSTREAM')
    await connection.xgroup('CREATE', `${prefix}log`, 'push', '0')
    for (const [seq, id] of [
      [1, 'm1'],
      [2, 'm2'],
      [3, 'e1']
    ] as const)
      await connection.xadd(`${prefix}log`, '*', 'p', envelope(seq, id, 'alice'))
    // persisters: 1 acked, 2 pending, 3 not yet read; push: everything acked
    const read = (await connection.xreadgroup('GROUP', 'persisters', 'old', 'COUNT', 2, 'STREAMS', `${prefix}log`, '>')) as [
      string,
      [string, string[]][]
    ][]
    await connection.xack(`${prefix}log`, 'persisters', read[0]?.[1][0]?.[0] as string)
    const all = (await connection.xreadgroup('GROUP', 'push', 'old', 'STREAMS', `${prefix}log`, '>')) as [string, [string, string[]][]][]
    await connection.xack(`${prefix}log`, 'push', ...(all[0]?.[1].map(([id]) => id) ?? []))
  }

  it('moves every room key under its partition, keeps seqs, ids, tombstones and edits, hands the unacked log over, and runs once', async () => {
    const prefix = `t${randomUUID()}:`
    await writeOldLayout(prefix)
    const log = new RedisChatLog(connection, { prefix, partitions: 4 }, testRedisHealth())
    // two nodes starting at once: one migrates, the other waits for it and finds it done
    const other = redis.client()
    const reports = await Promise.all([migrateLegacyChatLog(connection, log.keyspace), migrateLegacyChatLog(other, log.keyspace)])
    expect(reports).toContainEqual({ rooms: 1, edits: 1, logEntries: 2 })
    expect(reports).toContainEqual({ rooms: 0, edits: 0, logEntries: 0 })
    expect(await connection.keys(`${prefix}seq:*`)).toEqual([])
    expect(await connection.exists(`${prefix}log`, `${prefix}ids:r`, `${prefix}room:r`, `${prefix}tomb:r`, `${prefix}edits:r:1`)).toBe(0)

    expect(await log.lastSeq('r')).toBe(3)
    expect((await log.append({ room: 'r', id: 'm4', from: 'alice', type: 'text', body: 'new' })).envelope.seq).toBe(4)
    expect(await log.append({ room: 'r', id: 'm1', from: 'alice', type: 'text', body: 'retry' })).toMatchObject({
      duplicate: true,
      envelope: { seq: 1, body: 'secret m1' }
    })
    // the legacy id without its sender takes it from the tombstone
    const taken = await log.append({ room: 'r', id: 'm2', from: 'alice', type: 'text', body: 'x' }).catch((error: unknown) => error)
    expect(taken).toBeInstanceOf(MqchatError)
    expect((taken as MqchatError).code).toBe('id_taken')
    await log.append({ room: 'r', id: 'd1', from: 'alice', type: 'delete', target: 1, body: '' })
    const read = await log.read('r', 0, 10)
    expect(read.map((e) => [e.seq, e.type])).toEqual([
      [1, 'text'],
      [2, 'text'],
      [3, 'edit'],
      [4, 'text'],
      [5, 'delete']
    ])
    expect(JSON.stringify(read)).not.toContain('secret')

    // the persisters get what they had not acknowledged (2 and 3), then the new appends; push only the new ones
    const persisted = await log.fetch('new', 10, 0)
    expect(persisted.map((e) => e.envelope.seq)).toEqual([2, 3, 4, 5])
    expect((await log.group('push').fetch('new', 10, 0)).map((e) => e.envelope.seq)).toEqual([4, 5])

    expect(await migrateLegacyChatLog(connection, log.keyspace)).toEqual({ rooms: 0, edits: 0, logEntries: 0 })
    // without its marker too (a run that stopped before the end): nothing left to move
    await connection.del(layoutMarker(log.keyspace))
    expect(await migrateLegacyChatLog(connection, log.keyspace)).toEqual({ rooms: 0, edits: 0, logEntries: 0 })
    expect(await log.lastSeq('r')).toBe(5)
    await log.close()
  })

  it('leaves a store without old keys alone', async () => {
    const prefix = `t${randomUUID()}:`
    const log = new RedisChatLog(connection, { prefix, partitions: 4 }, testRedisHealth())
    await log.append({ room: 'r', id: 'm1', from: 'alice', type: 'text', body: 'hi' })
    const before = (await connection.keys(`${prefix}*`)).sort()
    expect(await migrateLegacyChatLog(connection, log.keyspace)).toEqual({ rooms: 0, edits: 0, logEntries: 0 })
    expect((await connection.keys(`${prefix}*`)).sort()).toEqual([...before, layoutMarker(log.keyspace)].sort())
    expect(await log.lastSeq('r')).toBe(1)
    await log.close()
  })
})
