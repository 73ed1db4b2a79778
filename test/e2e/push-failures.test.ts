import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisKeyspace } from '../../storage/chat-log/redis-keyspace.js'
import { startTestMongo, type TestMongo } from '../helpers/mongo-server.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { killAllNodes, runMqchat, spawnMqchat, spawnNode } from '../helpers/node-process.js'
import { type PushReceiver, startPushReceiver } from '../helpers/push-receiver.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const SECRET = 'push-failures-secret-0123456789abcdef'
const PUSH_SECRET = 'push-webhook-secret-for-e2e'
const MESSAGES = 40

/** MQCHAT_LOG_PARTITIONS' default: which partition stream holds a room's entries. */
const DEFAULT_LOG_PARTITIONS = 16

describe('offline push under failures: a bridge or dev node killed mid-push, the receiver down a while', () => {
  let redis: TestRedis
  let mongo: TestMongo
  let receiver: PushReceiver
  let sender: TestClient | undefined
  let present: TestClient | undefined

  beforeAll(async () => {
    redis = await startTestRedis()
    mongo = await startTestMongo()
    receiver = await startPushReceiver(PUSH_SECRET)
  }, 60_000)

  afterAll(async () => {
    await sender?.client.endAsync(true)
    await present?.client.endAsync(true)
    await killAllNodes()
    await receiver?.stop()
    await mongo?.stop()
    await redis?.stop()
  })

  it('delivers every push once the receiver is back, also those the killed bridge held (duplicates allowed, none lost)', async () => {
    const tag = randomUUID().replaceAll('-', '').slice(0, 12)
    const prefix = `pf${tag}:`
    const env = {
      REDIS_URL: redis.url,
      MONGODB_URL: mongo.url,
      MQCHAT_JWT_SECRET: SECRET,
      MQCHAT_REDIS_PREFIX: prefix,
      MQCHAT_MONGODB_DATABASE: `pf_${tag}`,
      MQCHAT_RATE_LIMIT_PER_SECOND: '0',
      MQCHAT_PUSH_URL: receiver.url,
      MQCHAT_PUSH_SECRET: PUSH_SECRET,
      MQCHAT_PUSH_RETRY_MS: '50',
      MQCHAT_PUSH_MAX_ATTEMPTS: '1000',
      MQCHAT_PUSH_CONCURRENCY: '4',
      // what a dead bridge held is taken over by the other one after this long
      MQCHAT_PERSISTER_CLAIM_IDLE_MS: '1000'
    }
    const broker = await spawnMqchat('broker', { ...env, MQCHAT_NODE_ID: 'broker-1' })
    const doomed = await spawnMqchat('bridge', { ...env, MQCHAT_NODE_ID: 'bridge-doomed' })
    const survivor = await spawnMqchat('bridge', { ...env, MQCHAT_NODE_ID: 'bridge-survivor' })
    const rest = restClient(`http://127.0.0.1:${survivor.httpPort}`)
    const owner = await rest.register('owner')
    await rest.register('away')
    const online = await rest.register('present')
    const room = await rest.createRoom(owner.token, 'push', ['away', 'present'])
    // connected to the broker process: the bridges' dispatchers must see it online through Redis
    present = await connectClient(`mqtt://127.0.0.1:${broker.mqttPort}`, online.token)

    await receiver.stop()
    sender = await connectClient(`mqtt://127.0.0.1:${broker.mqttPort}`, owner.token)
    // presence says online once the connection is counted
    await sender.client.subscribeAsync('presence/present', { qos: 1 })
    await sender.waitFor('presence/present')
    expect(sender.on('presence/present').at(-1)).toMatchObject({ status: 'online' })
    for (let i = 1; i <= MESSAGES; i++) {
      await sender.client.publishAsync(`rooms/${room.id}/messages`, JSON.stringify({ id: `m${i}`, body: `message ${i}` }), { qos: 1 })
    }

    // the doomed bridge is mid-push: it holds entries it fetched and could not deliver yet
    const admin = redis.client()
    const held = await eventually(
      async () => {
        const consumers = (await admin.call(
          'XINFO',
          'CONSUMERS',
          new RedisKeyspace(prefix, DEFAULT_LOG_PARTITIONS).room(room.id).log,
          'push'
        )) as unknown[][]
        const doomedRow = consumers.find((row) => row[1] === 'bridge-doomed')
        return Number(doomedRow?.[3] ?? 0)
      },
      (pending) => pending > 0,
      20_000
    )
    expect(held).toBeGreaterThan(0)
    doomed.child.kill('SIGKILL')
    expect((await doomed.exited).signal).toBe('SIGKILL')

    await receiver.start()
    const seqs = await eventually(
      async () => [...new Set(receiver.pushes.map((push) => push.body.seq))].sort((a, b) => a - b),
      (seen) => seen.length === MESSAGES,
      60_000
    )
    expect(seqs).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1))
    expect(receiver.rejected).toEqual([])
    for (const push of receiver.pushes) {
      expect(push.delivery).toBe(`${room.id}:${push.body.seq}`)
      expect(push.body).toMatchObject({ type: 'message', room: room.id, from: 'owner', recipients: ['away'] })
    }
  }, 120_000)

  it('`mqchat dev` killed mid-push pushes what it held after its restart on the same data directory', async () => {
    const dir = await makeTempDir()
    const env = {
      MQCHAT_PUSH_URL: receiver.url,
      MQCHAT_PUSH_SECRET: PUSH_SECRET,
      MQCHAT_PUSH_RETRY_MS: '50',
      MQCHAT_PUSH_MAX_ATTEMPTS: '1000',
      MQCHAT_RATE_LIMIT_PER_SECOND: '0'
    }
    try {
      const first = await spawnNode(dir.path, env)
      const rest = restClient(first.httpUrl)
      const owner = await rest.register('owner')
      await rest.register('away')
      const room = await rest.createRoom(owner.token, 'push-dev', ['away'])
      await receiver.stop()
      const client = await connectClient(first.mqttUrl, owner.token)
      for (let i = 1; i <= MESSAGES; i++) {
        await client.client.publishAsync(`rooms/${room.id}/messages`, JSON.stringify({ id: `d${i}`, body: `dev ${i}` }), { qos: 1 })
      }
      // mid-push: POSTs are failing and being retried
      await eventually(
        async () => (await fetch(`${first.httpUrl}/metrics`)).text(),
        (text) => /^mqchat_push_retries_total [1-9]/m.test(text),
        20_000
      )
      first.child.kill('SIGKILL')
      expect((await first.exited).signal).toBe('SIGKILL')
      await client.client.endAsync(true)

      await receiver.start()
      await spawnNode(dir.path, env)
      const seqs = await eventually(
        async () => [...new Set(receiver.pushes.filter((p) => p.body.room === room.id).map((p) => p.body.seq))].sort((a, b) => a - b),
        (seen) => seen.length === MESSAGES,
        60_000
      )
      expect(seqs).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1))
      expect(receiver.rejected).toEqual([])
    } finally {
      await killAllNodes()
      await dir.remove()
    }
  }, 120_000)

  it('refuses to start with MQCHAT_PUSH_URL but no MQCHAT_PUSH_SECRET: one line, exit 1', async () => {
    const dir = await makeTempDir()
    try {
      const result = await runMqchat('dev', { MQCHAT_DATA_DIR: dir.path, MQCHAT_PUSH_URL: receiver.url })
      expect(result.code).toBe(1)
      expect(result.stderr.trim()).toBe('mqchat: invalid configuration: MQCHAT_PUSH_SECRET: required with MQCHAT_PUSH_URL')
    } finally {
      await dir.remove()
    }
  })
})
