import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Envelope } from '../../core/message.js'
import type { TailEntry } from '../../storage/chat-log/chat-log.js'
import { RedisKeyspace } from '../../storage/chat-log/redis-keyspace.js'
import { RedisRoomFeed } from '../../storage/chat-log/redis-room-feed.js'
import type { RedisClient } from '../../storage/redis-client.js'
import { startTestRedisCluster } from '../helpers/redis-cluster.js'
import { testRedisHealth } from '../helpers/redis-health.js'
import { startTestRedis } from '../helpers/redis-server.js'

/**
 * What the chat log's append does for the feed, and nothing else: the next seq, the entry in the
 * room stream as `{seq}-0`, then (unless `publish` is '0') SPUBLISH on the room's channel.
 */
const APPEND = `
local seq = redis.call('INCR', KEYS[1])
local payload = string.gsub(ARGV[1], '"seq":0', '"seq":' .. seq, 1)
redis.call('XADD', KEYS[2], seq .. '-0', 'p', payload)
if ARGV[2] == '1' then redis.call('SPUBLISH', KEYS[3], payload) end
return seq
`

interface Backend {
  client(): RedisClient
  /** A plain connection to every master (CLIENT KILL there). */
  masters(): Promise<Redis[]>
  stop(): Promise<void>
}

async function singleRedis(): Promise<Backend> {
  const redis = await startTestRedis()
  return {
    client: () => redis.client(),
    masters: async () => [redis.client()],
    stop: () => redis.stop()
  }
}

async function redisCluster(): Promise<Backend> {
  const cluster = await startTestRedisCluster()
  const plain: Redis[] = []
  return {
    client: () => cluster.client(),
    async masters() {
      const connections = (await cluster.masters()).map((port) => new Redis({ host: '127.0.0.1', port }))
      plain.push(...connections)
      return connections
    },
    async stop() {
      for (const connection of plain) connection.disconnect()
      await cluster.stop()
    }
  }
}

const until = async (check: () => boolean | Promise<boolean>, what: string) => {
  const deadline = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe.each([
  ['a single Redis', singleRedis],
  ['a Redis Cluster', redisCluster]
])('RedisRoomFeed on %s', (_name, start) => {
  let backend: Backend
  let redis: RedisClient
  let keyspace: RedisKeyspace
  let feed: RedisRoomFeed
  const seen: TailEntry[] = []

  beforeAll(async () => {
    backend = await start()
    redis = backend.client()
    keyspace = new RedisKeyspace(`t${randomUUID()}:`, 16)
    redis.defineCommand('feedAppend', { numberOfKeys: 3, lua: APPEND })
    feed = new RedisRoomFeed({
      client: redis,
      channelOf: (room) => keyspace.room(room).feed,
      read: async (room, afterSeq, limit) => {
        const entries = await redis.xrange(keyspace.room(room).stream, `${afterSeq + 1}-0`, '+', 'COUNT', limit)
        return entries.map(([, fields]) => JSON.parse(fields[1] as string) as Envelope)
      },
      lastSeq: async (room) => Number((await redis.get(keyspace.room(room).seq)) ?? 0),
      health: testRedisHealth()
    })
    await feed.tail((entry) => seen.push(entry))
  }, 60_000)
  afterAll(async () => {
    await feed?.close()
    await backend?.stop()
  })

  const append = (room: string, body: string, publish = true): Promise<number> => {
    const keys = keyspace.room(room)
    const envelope = { id: randomUUID(), room, seq: 0, from: 'alice', ts: Date.now(), type: 'text', body }
    return (redis as unknown as { feedAppend(...args: string[]): Promise<number> }).feedAppend(
      keys.seq,
      keys.stream,
      keys.feed,
      JSON.stringify(envelope),
      publish ? '1' : '0'
    )
  }
  const seqsOf = (room: string) => seen.filter((e) => e.envelope.room === room).map((e) => e.envelope.seq)
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

  it('hands out every entry appended after follow once, in seq order per room, and only of followed rooms', async () => {
    const [a, b, c] = [`a-${randomUUID()}`, `b-${randomUUID()}`, `c-${randomUUID()}`]
    await append(a, 'before')
    await Promise.all([feed.follow(a), feed.follow(b)])
    const before = (await feed.metrics.received.get()).values[0]?.value ?? 0
    await Promise.all(range(1, 60).map((i) => append([a, b, c][i % 3] as string, `m${i}`)))
    await until(() => seqsOf(a).length === 20 && seqsOf(b).length === 20, 'both followed rooms')
    expect(seqsOf(a)).toEqual(range(2, 21))
    expect(seqsOf(b)).toEqual(range(1, 20))
    expect(seqsOf(c)).toEqual([])
    const entry = seen.find((e) => e.envelope.room === a) as TailEntry
    expect(JSON.parse(entry.payload)).toEqual(entry.envelope)
    // the unfollowed room's entries never reached this node
    expect((await feed.metrics.received.get()).values[0]?.value).toBe(before + 40)
    feed.unfollow(a)
    feed.unfollow(b)
  })

  it('nests follow and unfollow: the feed stops (SUNSUBSCRIBE) at the last unfollow', async () => {
    const room = `n-${randomUUID()}`
    const channel = keyspace.room(room).feed
    const subscribers = async () => {
      let total = 0
      for (const master of await backend.masters())
        total += Number(((await master.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1])
      return total
    }
    await feed.follow(room)
    await feed.follow(room)
    expect(await subscribers()).toBe(1)
    const followed = (await feed.metrics.followedRooms.get()).values[0]?.value ?? 0
    feed.unfollow(room)
    await append(room, 'one')
    await until(() => seqsOf(room).length === 1, 'the entry while one follow is left')
    feed.unfollow(room)
    expect((await feed.metrics.followedRooms.get()).values[0]?.value).toBe(followed - 1)
    await until(async () => (await subscribers()) === 0, 'the unsubscribe')
    await append(room, 'two')
    await feed.follow(room)
    await append(room, 'three')
    await until(() => seqsOf(room).length === 2, 'the entry after following again')
    expect(seqsOf(room)).toEqual([1, 3])
    feed.unfollow(room)
  })

  it('fills a skipped seq from the room stream before handing out what follows it', async () => {
    const room = `g-${randomUUID()}`
    await feed.follow(room)
    const filled = (await feed.metrics.gapsFilled.get()).values[0]?.value ?? 0
    await append(room, 'one')
    await append(room, 'lost on the way', false)
    await append(room, 'also lost', false)
    await append(room, 'four')
    await until(() => seqsOf(room).length === 4, 'the gap filled')
    expect(seqsOf(room)).toEqual([1, 2, 3, 4])
    expect(seen.filter((e) => e.envelope.room === room).map((e) => e.envelope.body)).toEqual([
      'one',
      'lost on the way',
      'also lost',
      'four'
    ])
    expect((await feed.metrics.gapsFilled.get()).values[0]?.value).toBe(filled + 2)
    feed.unfollow(room)
  })

  it('gives up on a gap the room stream no longer holds and goes on with the room', async () => {
    const room = `t-${randomUUID()}`
    await feed.follow(room)
    const givenUp = (await feed.metrics.gapsGivenUp.get()).values[0]?.value ?? 0
    await append(room, 'one')
    const trimmed = await append(room, 'trimmed', false)
    await redis.xdel(keyspace.room(room).stream, `${trimmed}-0`)
    await append(room, 'three')
    await append(room, 'four')
    await until(() => seqsOf(room).length === 3, 'the room going on')
    expect(seqsOf(room)).toEqual([1, 3, 4])
    expect((await feed.metrics.gapsGivenUp.get()).values[0]?.value).toBe(givenUp + 1)
    feed.unfollow(room)
  })

  it('loses and repeats nothing when its pub/sub connection is killed while appends go on', async () => {
    const rooms = Array.from({ length: 6 }, (_, i) => `k${i}-${randomUUID()}`)
    await Promise.all(rooms.map((room) => feed.follow(room)))
    let sending = true
    const sent = new Map(rooms.map((room) => [room, 0]))
    const senders = rooms.map(async (room) => {
      while (sending) {
        await append(room, 'x')
        sent.set(room, (sent.get(room) ?? 0) + 1)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })
    await until(() => rooms.every((room) => seqsOf(room).length > 5), 'traffic before the kill')
    let killed = 0
    for (const master of await backend.masters()) killed += Number(await master.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))
    expect(killed).toBeGreaterThan(0)
    const atKill = new Map(sent)
    await until(() => rooms.every((room) => seqsOf(room).length > (atKill.get(room) ?? 0) + 5), 'traffic after the kill')
    sending = false
    await Promise.all(senders)
    await until(() => rooms.every((room) => seqsOf(room).length === sent.get(room)), 'every entry')
    for (const room of rooms) expect(seqsOf(room)).toEqual(range(1, sent.get(room) ?? 0))
    // killed again, with the last entries appended while it is away and no later entry to show a gap
    for (const master of await backend.masters()) await master.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    for (const room of rooms) sent.set(room, await append(room, 'while away'))
    await until(() => rooms.every((room) => seqsOf(room).length === sent.get(room)), 'the catch-up after the reconnect')
    for (const room of rooms) expect(seqsOf(room)).toEqual(range(1, sent.get(room) ?? 0))
    for (const room of rooms) feed.unfollow(room)
  })
})
