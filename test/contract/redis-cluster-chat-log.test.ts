import { randomUUID } from 'node:crypto'
import calculateSlot from 'cluster-key-slot'
import type { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MqchatError } from '../../core/errors.js'
import { CLAIM_IDLE_MS, describeChatLogContract } from '../../storage/chat-log/chat-log.contract.js'
import { RedisChatLog } from '../../storage/chat-log/redis-chat-log.js'
import { startTestRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js'
import { testRedisHealth } from '../helpers/redis-health.js'

/**
 * The Redis chat log on a Redis Cluster of 3 masters + 3 replicas (issue 10): the ChatLog contract
 * unchanged, one gapless seq per room with rooms on every master, and with
 * MQCHAT_REDIS_WAIT_REPLICAS=1 no acknowledged append lost when a master is SIGKILLed.
 */
describe('the chat log on a Redis Cluster', () => {
  let cluster: TestRedisCluster
  beforeAll(async () => {
    cluster = await startTestRedisCluster()
  }, 60_000)
  afterAll(() => cluster?.stop())

  describeChatLogContract('RedisChatLog on a Redis Cluster', async () => {
    const prefix = `t${randomUUID()}:`
    return {
      async open() {
        const connection = cluster.client()
        const log = new RedisChatLog(connection, { prefix, claimIdleMs: CLAIM_IDLE_MS }, testRedisHealth())
        const close = log.close.bind(log)
        return Object.assign(log, {
          close: async () => {
            await close()
            connection.disconnect()
          }
        })
      },
      async destroy() {}
    }
  })

  /** The master port serving `key`'s slot, as the client's slot table has it. */
  const masterOf = (client: Cluster, key: string) => client.slots[calculateSlot(key)]?.[0]

  it('sequences concurrent appends to rooms on every master with one gapless seq per room', async () => {
    const client = cluster.client()
    const log = new RedisChatLog(client, { prefix: `t${randomUUID()}:` }, testRedisHealth())
    const rooms = Array.from({ length: 48 }, (_, i) => `room-${i}`)
    await log.lastSeq(rooms[0] as string)
    expect(new Set(rooms.map((room) => masterOf(client, log.keyspace.room(room).seq))).size).toBe(3)
    const results = await Promise.all(
      rooms.flatMap((room) =>
        Array.from({ length: 25 }, (_, i) => log.append({ room, id: `m${i}`, from: 'alice', type: 'text', body: `${i}` }))
      )
    )
    for (const room of rooms) {
      const seqs = results.filter((r) => r.envelope.room === room).map((r) => r.envelope.seq)
      expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
      expect((await log.read(room, 0, 100)).map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
    }
    expect(await log.backlog()).toBe(48 * 25)
    await log.close()
  })

  it('with one replica to wait for, loses no acknowledged append when the master of a busy room is killed', async () => {
    const client = cluster.client()
    const log = new RedisChatLog(
      client,
      { prefix: `t${randomUUID()}:`, waitReplicas: 1, waitTimeoutMs: 1000, roomStreamLength: 1_000_000 },
      testRedisHealth()
    )
    const rooms = ['busy-a', 'busy-b', 'busy-c', 'busy-d']
    await log.lastSeq('busy-a')
    const acked = new Map<string, number>()
    let refused = 0
    let stop = false
    // each sender retries its message with the same id until it is acknowledged, as clients do
    const sender = async (room: string, worker: number) => {
      for (let i = 0; !stop; i++) {
        const id = `w${worker}-${i}`
        while (!stop) {
          const result = await log.append({ room, id, from: 'alice', type: 'text', body: id }).catch(() => null)
          if (result) {
            acked.set(`${room}/${id}`, result.envelope.seq)
            break
          }
          refused += 1
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
    }
    const senders = rooms.flatMap((room, r) => [0, 1, 2].map((w) => sender(room, r * 3 + w)))
    let killedAt = 0
    try {
      // the replicas finish their first sync after the cluster is up: sends are refused until then
      // the victim's replica too: one that never synced cannot take over
      const ackedIn = (room: string) => [...acked.keys()].filter((key) => key.startsWith(`${room}/`)).length
      for (const until = Date.now() + 60_000; ackedIn('busy-a') < 100; await new Promise((resolve) => setTimeout(resolve, 10))) {
        if (Date.now() > until) throw new Error(`only ${acked.size} appends acknowledged`)
      }
      const victim = masterOf(client, log.keyspace.room('busy-a').seq)
      const node = cluster.nodes.find((n) => `127.0.0.1:${n.port}` === victim)
      expect(node).toBeDefined()
      await node?.kill()
      killedAt = acked.size
      // taken over: three masters again, the killed one not among them, and every live node agrees
      const deadline = Date.now() + 90_000
      for (
        let masters = await cluster.masters();
        masters.length < 3 || masters.includes(node?.port as number);
        masters = await cluster.masters()
      ) {
        if (Date.now() > deadline) throw new Error(`no replica took over: masters ${masters.join(', ')}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      await cluster.waitHealthy(60_000)
      expect((await cluster.masters()).includes(node?.port as number)).toBe(false)
      // the new master has no replica left until the old one rejoins as its replica: sends to its
      // rooms are refused (stored, not acknowledged) until then
      let lonely: unknown = null
      for (let i = 0; !(lonely instanceof MqchatError) && Date.now() < deadline; i++) {
        lonely = await log
          .append({ room: 'busy-a', id: `probe-${i}`, from: 'alice', type: 'text', body: 'probe' })
          .catch((error: unknown) => error)
        // while the slot table still names the dead master, the refusal says so instead
        if (lonely instanceof MqchatError && !lonely.message.includes('replicas')) lonely = null
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(lonely).toBeInstanceOf(MqchatError)
      expect((lonely as MqchatError).message).toContain('0 of 1 replicas confirmed it')
      await node?.restart()
      await cluster.waitHealthy(30_000)
      // chat goes on: wait for more acknowledged appends, then stop
      const target = acked.size + 200
      while (acked.size < target && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    } finally {
      // the senders end however the test does
      stop = true
      await Promise.all(senders)
    }
    expect(acked.size).toBeGreaterThan(killedAt)
    expect(refused).toBeGreaterThan(0)

    for (const room of rooms) {
      const last = await log.lastSeq(room)
      const read = await log.read(room, 0, last + 10)
      expect(read.map((e) => e.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1))
      const byId = new Map(read.map((e) => [e.id, e.seq]))
      for (const [key, seq] of acked) if (key.startsWith(`${room}/`)) expect(byId.get(key.slice(room.length + 1))).toBe(seq)
    }
    await log.close()
  }, 240_000)
})
