import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import type { Redis } from 'ioredis'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LogEntry, NewMessage } from '../../storage/chat-log/chat-log.js'
import { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { RedisLogTrim } from '../../storage/chat-log/redis-log-trim.js'
import { eventually } from '../helpers/mqtt.js'
import { testRedisHealth } from '../helpers/redis-health.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'

const HOUR = 3_600_000
const text = (room: string, id: string): NewMessage => ({ room, id, from: 'alice', type: 'text', body: `body ${id}` })
const seqsOf = (entries: LogEntry[]) => entries.map(({ envelope }) => `${envelope.room}#${envelope.seq}`).sort()

/**
 * Redis memory stays flat in the number of messages (issue 10): a consumer group other than the
 * persisters (push) holds the partition streams only within its lag bound; the persisters always do.
 * The trim is run with a clock two hours on, as it would run then.
 */
describe('RedisChatLog: a lagging consumer group holds the log only within its bound', () => {
  let redis: TestRedis
  let connection: Redis
  const logs: RedisChatLog[] = []

  /** A log on 2 partitions, its streams' entry count, and a trim with a one-hour bound that logs to `lines`. */
  const open = (prefix = `t${randomUUID()}:`) => {
    const log = new RedisChatLog(connection, { prefix, partitions: 2, groupMaxLagMs: HOUR }, testRedisHealth())
    logs.push(log)
    const streams = [log.keyspace.log(0), log.keyspace.log(1)]
    const lines: { msg: string; group?: string }[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as { msg: string })
        done()
      }
    })
    const trim = new RedisLogTrim(connection, { streams, persisters: 'persisters', groupMaxLagMs: HOUR })
    trim.instrument(new Registry(), pino({ level: 'info' }, sink))
    const length = async () => (await Promise.all(streams.map((stream) => connection.xlen(stream)))).reduce((a, b) => a + b, 0)
    const dropped = async () => (await trim.dropped.get()).values.find((v) => v.labels.group === 'push')?.value ?? 0
    return { log, prefix, trim, lines, length, dropped }
  }
  /** 10 messages in each of 4 rooms (both partitions). */
  const appendRooms = async (log: RedisChatLog, from = 1) => {
    for (let i = from; i < from + 10; i++) for (const room of ['a', 'b', 'c', 'd']) await log.append(text(room, `m${i}`))
  }

  beforeAll(async () => {
    redis = await startTestRedis()
    connection = redis.client()
    // one entry per stream node: `XTRIM MINID ~` then trims exactly (it frees whole nodes only)
    await connection.config('SET', 'stream-node-max-entries', '1')
  })
  afterAll(async () => {
    for (const log of logs) await log.close()
    await redis.stop()
  })

  it('trims past a push group nobody consumes any more, keeping what the persisters have not acknowledged', async () => {
    const { log, prefix, trim, lines, length, dropped } = open()
    expect(new Set(['a', 'b', 'c', 'd'].map((room) => log.keyspace.partitionOf(room))).size).toBe(2)
    const push = log.group('push')
    expect(await push.fetch('bridge-1', 10, 0)).toEqual([])
    await appendRooms(log)
    // the push dispatcher takes a few entries and stops for good (push turned off on every bridge)
    expect(await push.fetch('bridge-1', 3, 0)).toHaveLength(3)
    // the persisters take everything and acknowledge all but room a's entries
    const persisted: LogEntry[] = []
    for (let batch = await log.fetch('w1', 50, 0); batch.length > 0; batch = await log.fetch('w1', 50, 0)) persisted.push(...batch)
    expect(persisted).toHaveLength(40)
    await log.ack(persisted.filter(({ envelope }) => envelope.room !== 'a').map((e) => e.position))

    // within the bound the push group holds every entry
    await trim.trim()
    expect(await length()).toBe(40)
    expect(lines).toEqual([])

    // two hours on: only room a's unpersisted entries, and what follows them in their partition, stay
    await trim.trim(Date.now() + 2 * HOUR)
    const aPartition = log.keyspace.partitionOf('a')
    const kept = await connection.xlen(log.keyspace.log(aPartition))
    expect(await connection.xlen(log.keyspace.log(1 - aPartition))).toBe(0)
    expect(await length()).toBe(kept)
    expect(kept).toBeGreaterThanOrEqual(10)
    expect(await dropped()).toBe(40 - kept)
    expect(lines.filter((line) => line.group === 'push').map((line) => line.msg)).toEqual([
      'consumer group lags past its bound: the chat log is trimmed without it, its entries older than the bound are dropped'
    ])

    // the persisters' pending entries are intact: a restarted bridge re-reads every one of room a
    // (claimIdleMs 0: its first fetches claim at once what real ones claim after 30 s)
    const restarted = new RedisChatLog(connection, { prefix, partitions: 2, claimIdleMs: 0 }, testRedisHealth())
    logs.push(restarted)
    const again = await restarted.fetch('w1', 50, 0)
    expect(seqsOf(again)).toEqual(seqsOf(persisted.filter(({ envelope }) => envelope.room === 'a')))
    expect(again.every(({ envelope }) => envelope.body.startsWith('body m'))).toBe(true)

    await restarted.ack(again.map((e) => e.position))

    // a push dispatcher coming back gets only entries still in the streams, each once: its trimmed
    // pending ones are skipped (and dropped from its pending list by the claim)
    const inStream = (await connection.xrange(log.keyspace.log(aPartition), '-', '+')).map(([id]) => `${aPartition}/${id}`)
    const resumed: LogEntry[] = []
    const resumedPush = restarted.group('push')
    for (let batch = await resumedPush.fetch('bridge-1', 50, 0); batch.length > 0; batch = await resumedPush.fetch('bridge-1', 50, 0)) {
      resumed.push(...batch)
      await resumedPush.ack(batch.map((e) => e.position))
    }
    expect(resumed.map((e) => e.position).sort()).toEqual([...inStream].sort())
    expect(await resumedPush.pendingCount()).toBe(0)

    // caught up: the group is back within its bound (logged once), nothing more counted
    await trim.trim(Date.now() + 2 * HOUR)
    expect(await length()).toBe(0)
    expect(lines.filter((line) => line.group === 'push').map((line) => line.msg)).toEqual([
      'consumer group lags past its bound: the chat log is trimmed without it, its entries older than the bound are dropped',
      'consumer group back within its lag bound'
    ])
    expect(await dropped()).toBe(40 - kept)
  })

  it('never trims what the persisters have not acknowledged, however old, nor before their group exists', async () => {
    const { log, trim, length, dropped } = open()
    const push = log.group('push')
    expect(await push.fetch('bridge-1', 10, 0)).toEqual([])
    await appendRooms(log)
    for (let batch = await push.fetch('bridge-1', 50, 0); batch.length > 0; batch = await push.fetch('bridge-1', 50, 0))
      await push.ack(batch.map((e) => e.position))
    // no persister has read the log yet: its group, starting at the oldest entry, will want them all
    await trim.trim(Date.now() + 2 * HOUR)
    expect(await length()).toBe(40)
    // the persisters read 10 and stop (MongoDB away): those and the 30 unread stay
    expect(await log.fetch('w1', 5, 0)).toHaveLength(5)
    expect(await log.pendingCount()).toBe(10)
    await trim.trim(Date.now() + 2 * HOUR)
    expect(await length()).toBe(40)
    expect(await dropped()).toBe(0)
  })

  it('lets an idle push group that read everything go without counting it as lagging', async () => {
    const { log, trim, lines, length, dropped } = open()
    const push = log.group('push')
    expect(await push.fetch('bridge-1', 10, 0)).toEqual([])
    await appendRooms(log)
    for (const group of [push, log]) {
      for (let batch = await group.fetch('w1', 50, 0); batch.length > 0; batch = await group.fetch('w1', 50, 0))
        await group.ack(batch.map((e) => e.position))
    }
    // both groups acknowledged everything an hour before: the streams empty, nobody lagged
    await trim.trim(Date.now() + 2 * HOUR)
    expect(await length()).toBe(0)
    expect(await dropped()).toBe(0)
    expect(lines).toEqual([])
  })

  it('trims after the last acknowledgement of a burst too, with no later one to start it', async () => {
    const { log, length } = open()
    await appendRooms(log)
    const first = await log.fetch('w1', 20, 0)
    await log.ack(first.map((e) => e.position))
    // acknowledged within the trim interval of the first: trimmed when that interval ends, unasked
    const rest = await log.fetch('w1', 50, 0)
    expect(rest).toHaveLength(20)
    await log.ack(rest.map((e) => e.position))
    expect(await length()).toBeGreaterThan(0)
    await eventually(length, (entries) => entries === 0, 15_000)
  })
})
