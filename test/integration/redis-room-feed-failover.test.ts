import { randomUUID } from 'node:crypto'
import calculateSlot from 'cluster-key-slot'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { TailEntry } from '../../storage/chat-log/chat-log.js'
import { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { startTestRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js'
import { testRedisHealth } from '../helpers/redis-health.js'

/**
 * The live room feed across a Redis Cluster failover (SPEC §10): the master of a followed room's
 * slot is SIGKILLed under load (MQCHAT_REDIS_WAIT_REPLICAS=1); once a replica took over, the
 * following node has handed out every acknowledged message, one gapless seq per room, each once.
 */
let cluster: TestRedisCluster
beforeAll(async () => {
  cluster = await startTestRedisCluster()
}, 60_000)
afterAll(() => cluster?.stop())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

it('a node following rooms on a killed master misses and repeats no acknowledged message once a replica took over', async () => {
  const prefix = `t${randomUUID()}:`
  const sending = cluster.client()
  const following = cluster.client()
  const sender = new RedisChatLog(sending, { prefix, waitReplicas: 1, waitTimeoutMs: 1000 }, testRedisHealth())
  const node = new RedisChatLog(following, { prefix }, testRedisHealth())
  const rooms = ['feed-a', 'feed-b', 'feed-c', 'feed-d']
  const tailed: TailEntry[] = []
  await node.tail((entry) => tailed.push(entry))
  await Promise.all(rooms.map((room) => node.follow(room)))

  const acked = new Map<string, number>()
  let stop = false
  // each sender retries its message with the same id until it is acknowledged, as clients do
  const send = async (room: string, worker: number) => {
    for (let i = 0; !stop; i++) {
      const id = `w${worker}-${i}`
      while (!stop) {
        const result = await sender.append({ room, id, from: 'alice', type: 'text', body: id }).catch(() => null)
        if (result) {
          acked.set(`${room}/${id}`, result.envelope.seq)
          break
        }
        await sleep(50)
      }
    }
  }
  const senders = rooms.flatMap((room, r) => [0, 1].map((w) => send(room, r * 2 + w)))
  while (acked.size < 100) await sleep(10)
  const victim = sending.slots[calculateSlot(node.keyspace.room('feed-a').feed)]?.[0]
  const killed = cluster.nodes.find((n) => `127.0.0.1:${n.port}` === victim)
  expect(killed).toBeDefined()
  await killed?.kill()
  const deadline = Date.now() + 60_000
  while ((await cluster.masters()).includes(killed?.port as number) && Date.now() < deadline) await sleep(100)
  expect((await cluster.masters()).includes(killed?.port as number)).toBe(false)
  // the new master needs a replica again before it acknowledges (WAIT 1)
  await killed?.restart()
  await cluster.waitHealthy(30_000)
  const target = acked.size + 100
  while (acked.size < target && Date.now() < deadline) await sleep(20)
  stop = true
  await Promise.all(senders)

  const lastSeqs = new Map(await Promise.all(rooms.map(async (room) => [room, await sender.lastSeq(room)] as const)))
  const seqsOf = (room: string) => tailed.filter((e) => e.envelope.room === room).map((e) => e.envelope.seq)
  while (rooms.some((room) => seqsOf(room).length < (lastSeqs.get(room) ?? 0)) && Date.now() < deadline) await sleep(50)
  const count = async (metric: { get(): Promise<{ values: { value: number }[] }> }) => (await metric.get()).values[0]?.value ?? 0
  console.info(
    `room feed failover: ${acked.size} acknowledged, ${tailed.length} handed out, ${await count(node.feed.metrics.gapsFilled)} read back ` +
      `from the room streams, ${await count(node.feed.metrics.diverged)} rooms diverged (published writes the failover lost)`
  )
  for (const room of rooms) {
    expect(seqsOf(room)).toEqual(Array.from({ length: lastSeqs.get(room) ?? 0 }, (_, i) => i + 1))
    const byId = new Map(tailed.filter((e) => e.envelope.room === room).map((e) => [e.envelope.id, e.envelope.seq]))
    for (const [key, seq] of acked) if (key.startsWith(`${room}/`)) expect(byId.get(key.slice(room.length + 1)), key).toBe(seq)
  }
  await node.close()
  await sender.close()
}, 150_000)
