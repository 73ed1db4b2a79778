import { randomUUID } from 'node:crypto'
import type { MongoClient } from 'mongodb'
import type { MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Envelope } from '../../core/message.js'
import { RedisKeyspace } from '../../storage/chat-log/redis-keyspace.js'
import {
  closedPort,
  consecutive,
  expectStoredOnce,
  fullHistory,
  Ledger,
  openClient,
  Publisher,
  sleep,
  type User,
  waitUntil,
  withTimeout
} from '../helpers/chat-traffic.js'
import { startTestMongo, type TestMongo } from '../helpers/mongo-server.js'
import { eventually } from '../helpers/mqtt.js'
import { killAllNodes, type MqchatProcess, runMqchat, spawnMqchat } from '../helpers/node-process.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'
import { restClient } from '../helpers/rest.js'

const SECRET = 'cluster-failures-secret-0123456789abcdef'

type Node = MqchatProcess & { url: string }

/** MQCHAT_LOG_PARTITIONS' default: which partition stream holds a room's entries. */
const DEFAULT_LOG_PARTITIONS = 16

describe('cluster failures: real `mqchat broker` and `mqchat bridge` processes', () => {
  let redis: TestRedis
  let mongo: TestMongo
  let mongoClient: MongoClient
  const clients: MqttClient[] = []
  /** Run after each test, before the processes are killed: stop publishers, end their connections. */
  const cleanups: (() => void)[] = []

  beforeAll(async () => {
    redis = await startTestRedis()
    mongo = await startTestMongo()
    mongoClient = await mongo.client()
  }, 60_000)

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup()
    for (const client of clients.splice(0)) client.end(true)
    await killAllNodes()
    if (!redis.running()) await redis.restart()
  })

  afterAll(async () => {
    await killAllNodes()
    await mongo?.stop()
    await redis?.stop()
  })

  /** One deployment per test: its own Redis key prefix and MongoDB database. */
  function deployment(extra: Record<string, string> = {}) {
    const tag = randomUUID().replaceAll('-', '').slice(0, 12)
    const env = {
      REDIS_URL: redis.url,
      MONGODB_URL: mongo.url,
      MQCHAT_JWT_SECRET: SECRET,
      MQCHAT_REDIS_PREFIX: `cf${tag}:`,
      MQCHAT_MONGODB_DATABASE: `cf_${tag}`,
      // rate limits off: a rate-limited send is PUBACKed too
      MQCHAT_RATE_LIMIT_PER_SECOND: '0',
      ...extra
    }
    const start = async (role: 'broker' | 'bridge', nodeId: string, more: Record<string, string> = {}): Promise<Node> => {
      const node = await spawnMqchat(role, { ...env, MQCHAT_NODE_ID: nodeId, ...more })
      const url = role === 'broker' ? `mqtt://127.0.0.1:${node.mqttPort}` : `http://127.0.0.1:${node.httpPort}`
      return Object.assign(node, { url })
    }
    return {
      env,
      prefix: env.MQCHAT_REDIS_PREFIX,
      broker: (nodeId: string, more?: Record<string, string>) => start('broker', nodeId, more),
      bridge: (nodeId: string, more?: Record<string, string>) => start('bridge', nodeId, more),
      messages: () => mongoClient.db(env.MQCHAT_MONGODB_DATABASE).collection<Envelope>('messages')
    }
  }

  async function chatRoom(bridge: Node, publisherCount: number, extraUsers: string[] = []) {
    const rest = restClient(bridge.url)
    const owner = await rest.register('owner')
    const publishers: User[] = []
    for (let i = 1; i <= publisherCount; i++) publishers.push(await rest.register(`pub${i}`))
    const others: User[] = []
    for (const name of extraUsers) others.push(await rest.register(name))
    const room = await rest.createRoom(
      owner.token,
      'failures',
      [...publishers, ...others].map((u) => u.id)
    )
    return { rest, owner, publishers, others, roomId: room.id, topic: `rooms/${room.id}/messages` }
  }

  /** Runs the publishers until stopped (or `maxRounds` windows each); afterEach stops them and ends their connections. */
  const lanes = (publishers: Publisher[], maxRounds?: number) => {
    let stopped = false
    cleanups.push(() => {
      stopped = true
      for (const publisher of publishers) publisher.halt()
    })
    const running = Promise.all(publishers.map((p) => p.run(() => stopped, maxRounds)))
    return {
      finished: (timeoutMs: number) => withTimeout(running, timeoutMs, 'publishers to finish'),
      async stop() {
        stopped = true
        await withTimeout(running, 30_000, 'publishers to stop')
      }
    }
  }

  const ackedBy = (ledger: Ledger, user: User) => [...ledger.acked].filter((id) => id.startsWith(`${user.id}-`)).length

  describe('start-up failures: exit non-zero with exactly one `mqchat: ` line on stderr, no stack trace', () => {
    /** Starts a broker and a bridge on `env` and expects each to fail that way, naming `cause`. */
    async function expectOneLineFailure(env: Record<string, string>, cause: RegExp): Promise<void> {
      const results = await Promise.all((['broker', 'bridge'] as const).map((role) => runMqchat(role, env)))
      for (const [i, result] of results.entries()) {
        const role = i === 0 ? 'broker' : 'bridge'
        expect(result.signal, `${role} signal`).toBeNull()
        expect(result.code, `${role} exit code`).not.toBe(0)
        expect(result.stderr.trimEnd().split('\n'), `${role} stderr`).toEqual([expect.stringMatching(/^mqchat: /)])
        expect(result.stderr, `${role} stderr`).toMatch(cause)
      }
    }

    it('Redis unreachable (a closed port)', async () => {
      const { env } = deployment({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` })
      await expectOneLineFailure(env, /cannot reach Redis/)
    })

    it('MongoDB unreachable (a closed port)', async () => {
      // connectMongo's own serverSelectionTimeoutMS (5 s) wins over the URL's, so this takes ~5 s
      const { env } = deployment({ MONGODB_URL: `mongodb://127.0.0.1:${await closedPort()}/?serverSelectionTimeoutMS=1000` })
      await expectOneLineFailure(env, /cannot reach MongoDB/)
    })

    it('MQCHAT_JWT_SECRET missing', async () => {
      const env: Record<string, string> = { ...deployment().env }
      delete env.MQCHAT_JWT_SECRET
      await expectOneLineFailure(env, /MQCHAT_JWT_SECRET: required in cluster mode/)
    })
  })

  it('kill -9 of a broker under load: no acknowledged message lost or stored twice, the persistent session resumes on the other broker', async () => {
    const d = deployment()
    const [a, b, bridge] = await Promise.all([d.broker('broker-a'), d.broker('broker-b'), d.bridge('bridge-1')])
    const { rest, owner, publishers: users, others, topic, roomId } = await chatRoom(bridge, 4, ['reader'])
    const reader = others[0] as User

    // a persistent session (clean 0, fixed client id, QoS 1) reads on broker A
    const clientId = `reader-${randomUUID().slice(0, 8)}`
    const beforeKill: Envelope[] = []
    const afterKill: Envelope[] = []
    const collect = (into: Envelope[]) => (t: string, payload: Buffer) => {
      if (t === topic) into.push(JSON.parse(payload.toString()) as Envelope)
    }
    const onA = await openClient(a.url, reader.token, { clientId, clean: false }, collect(beforeKill))
    if (!onA) throw new Error('reader could not connect to broker A')
    clients.push(onA)
    expect(await onA.subscribeAsync(topic, { qos: 1 })).toEqual([expect.objectContaining({ qos: 1 })])

    // two publishers on each broker, QoS 1, continuously
    const ledger = new Ledger()
    const publishers = users.map((user, i) => new Publisher(user, i < 2 ? a.url : b.url, ledger, topic))
    const traffic = lanes(publishers)
    const onBrokerA = users.slice(0, 2)
    await waitUntil(
      () => ledger.acked.size >= 400 && onBrokerA.every((u) => ackedBy(ledger, u) >= 50),
      60_000,
      () => `${ledger.acked.size} acknowledged before the kill`
    )

    // kill -9 broker A; its publishers move to broker B
    for (const publisher of publishers.slice(0, 2)) publisher.target = b.url
    const readerClosed = new Promise<void>((resolve) => onA.once('close', () => resolve()))
    a.child.kill('SIGKILL')
    expect((await a.exited).signal).toBe('SIGKILL')
    await withTimeout(readerClosed, 10_000, 'reader connection to close')
    const ackedAtKill = new Map(users.map((u) => [u.id, ackedBy(ledger, u)]))
    const lastSeen = beforeKill.at(-1)?.seq ?? 0
    expect(
      beforeKill.map((m) => m.seq),
      'live on A: 1, 2, 3, …'
    ).toEqual(Array.from({ length: beforeKill.length }, (_, i) => i + 1))

    // the persistent session comes back on broker B
    const onB = await openClient(b.url, reader.token, { clientId, clean: false }, collect(afterKill))
    if (!onB) throw new Error('reader could not connect to broker B')
    clients.push(onB)

    await waitUntil(
      () => users.every((u) => ackedBy(ledger, u) >= (ackedAtKill.get(u.id) ?? 0) + 50),
      60_000,
      () => `publishers after the kill: ${users.map((u) => ackedBy(ledger, u) - (ackedAtKill.get(u.id) ?? 0)).join(', ')}`
    )
    await traffic.stop()
    await Promise.all(publishers.map((p) => p.settle()))
    const accepted = ledger.accepted()
    expect(ledger.rejected.size, `rejections: ${JSON.stringify(ledger.reasons())}`).toBe(0)

    const stored = await expectStoredOnce(rest, owner.token, roomId, d.messages(), accepted, ledger.sent)
    const n = stored.length

    // the session got everything after what it saw on A, in order: redelivery only of what it had seen
    await waitUntil(
      () => (afterKill.at(-1)?.seq ?? 0) >= n,
      30_000,
      () => `reader on B is at seq ${afterKill.at(-1)?.seq} of ${n}`
    )
    const resumedAt = afterKill[0]?.seq ?? 0
    expect(resumedAt, 'no gap between A and B').toBeLessThanOrEqual(lastSeen + 1)
    expect(
      consecutive(
        afterKill.map((m) => m.seq),
        resumedAt
      ),
      'on B: in order, no gap, no repeat'
    ).toBe(true)
    expect(afterKill.at(-1)?.seq).toBe(n)
    const bySeq = new Map(stored.map((m) => [m.seq, m]))
    for (const message of [...beforeKill, ...afterKill]) expect(message).toEqual(bySeq.get(message.seq))
    console.info(
      `kill -9 broker: ${ledger.sent.size} sent, ${accepted.length} acknowledged, ${n} stored; reader saw ${lastSeen} on A, ` +
        `${lastSeen - resumedAt + 1} redelivered on B`
    )
  }, 120_000)

  it('kill -9 of a bridge worker mid-batch, restarted with the same node id: MongoDB ends with every message exactly once', async () => {
    const d = deployment()
    const [broker, first] = await Promise.all([d.broker('broker-1'), d.bridge('bridge-w1')])
    const { publishers: users, topic, roomId } = await chatRoom(first, 4)
    const probe = redis.client()
    cleanups.push(() => probe.disconnect())
    const log = new RedisKeyspace(d.prefix, DEFAULT_LOG_PARTITIONS).room(roomId).log
    /** Entries the worker fetched and has not acknowledged. */
    const pendingOfWorker = async () => {
      const [, , , consumers] = (await probe.xpending(log, 'persisters')) as [number, unknown, unknown, [string, string][] | null]
      return Number(consumers?.find(([name]) => name === 'bridge-w1')?.[1] ?? 0)
    }
    const stored = () => d.messages().countDocuments({ room: roomId })
    /** Of the entries the worker holds unacknowledged, how many it already wrote to MongoDB (replayed after the restart). */
    const heldAlreadyStored = async () => {
      const held = (await probe.xpending(log, 'persisters', '-', '+', 1000, 'bridge-w1')) as [string][]
      const entries = await Promise.all(held.map(([position]) => probe.xrange(log, position, position)))
      const seqs = entries.flatMap((rows) => rows.map(([, fields]) => (JSON.parse(fields[1] as string) as Envelope).seq))
      return d.messages().countDocuments({ room: roomId, seq: { $in: seqs } })
    }

    // 4 publishers x 50 windows of 10: 2,000 messages over MQTT through the broker
    const total = 2000
    const ledger = new Ledger()
    const publishers = users.map((user) => new Publisher(user, broker.url, ledger, topic, 10))
    const sending = lanes(publishers, total / users.length / 10)

    // freeze the worker once it holds a fetched, unacknowledged batch and some batches are stored, then kill it
    let heldAtKill = 0
    let storedAtKill = 0
    let heldAndStored = 0
    for (let attempt = 0; attempt < 2000 && heldAtKill === 0; attempt++) {
      if ((await stored()) > 0 && (await pendingOfWorker()) > 0) {
        first.child.kill('SIGSTOP')
        const held = await pendingOfWorker()
        if (held > 0) {
          storedAtKill = await stored()
          heldAtKill = held
          heldAndStored = await heldAlreadyStored()
          first.child.kill('SIGKILL')
        } else first.child.kill('SIGCONT')
      } else await sleep(10)
    }
    expect(heldAtKill, 'the worker was killed holding an unacknowledged batch').toBeGreaterThan(0)
    expect((await first.exited).signal).toBe('SIGKILL')

    // the same worker comes back: it re-reads its own pending entries
    await d.bridge('bridge-w1')
    await sending.finished(60_000)
    expect(ledger.acked.size, 'every send acknowledged').toBe(total)
    await Promise.all(publishers.map((p) => p.settle()))
    expect(ledger.rejected.size, `rejections: ${JSON.stringify(ledger.reasons())}`).toBe(0)

    await eventually(stored, (count) => count >= total, 60_000)
    await eventually(pendingOfWorker, (count) => count === 0, 10_000)
    const documents = await d
      .messages()
      .find({ room: roomId }, { projection: { _id: 0, id: 1, seq: 1 } })
      .sort({ seq: 1 })
      .toArray()
    expect(documents).toHaveLength(total)
    expect(documents.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    expect(new Set(documents.map((m) => m.id))).toEqual(ledger.acked)
    console.info(
      `kill -9 bridge: ${storedAtKill} stored and ${heldAtKill} fetched but unacknowledged at the kill, ${heldAndStored} of them already written`
    )
  }, 120_000)

  it('two bridges share the log; one is killed holding a batch and never returns: the other takes its entries over', async () => {
    const d = deployment({ MQCHAT_PERSISTER_CLAIM_IDLE_MS: '1000' })
    const [broker, dying] = await Promise.all([d.broker('broker-1'), d.bridge('bridge-a')])
    await d.bridge('bridge-b')
    const { publishers: users, topic, roomId } = await chatRoom(dying, 4)
    const probe = redis.client()
    cleanups.push(() => probe.disconnect())
    const log = new RedisKeyspace(d.prefix, DEFAULT_LOG_PARTITIONS).room(roomId).log
    const pendingOf = async (consumer: string) => {
      const [, , , consumers] = (await probe.xpending(log, 'persisters')) as [number, unknown, unknown, [string, string][] | null]
      return Number(consumers?.find(([name]) => name === consumer)?.[1] ?? 0)
    }
    const stored = () => d.messages().countDocuments({ room: roomId })

    const total = 2000
    const ledger = new Ledger()
    const publishers = users.map((user) => new Publisher(user, broker.url, ledger, topic, 10))
    const sending = lanes(publishers, total / users.length / 10)

    let heldAtKill = 0
    for (let attempt = 0; attempt < 2000 && heldAtKill === 0; attempt++) {
      if ((await pendingOf('bridge-a')) > 0) {
        dying.child.kill('SIGSTOP')
        heldAtKill = await pendingOf('bridge-a')
        if (heldAtKill > 0) dying.child.kill('SIGKILL')
        else dying.child.kill('SIGCONT')
      } else await sleep(5)
    }
    expect(heldAtKill, 'bridge-a was killed holding an unacknowledged batch').toBeGreaterThan(0)
    await sending.finished(60_000)
    await Promise.all(publishers.map((p) => p.settle()))
    expect(ledger.acked.size).toBe(total)

    await eventually(stored, (count) => count >= total, 60_000)
    await eventually(
      () => pendingOf('bridge-a'),
      (count) => count === 0,
      20_000
    )
    const documents = await d
      .messages()
      .find({ room: roomId }, { projection: { _id: 0, id: 1, seq: 1 } })
      .sort({ seq: 1 })
      .toArray()
    expect(documents.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    expect(new Set(documents.map((m) => m.id))).toEqual(ledger.acked)
  }, 120_000)

  it('Redis restarted under load: nodes and bridge recover without a restart, every acknowledged message stored once', async () => {
    const d = deployment()
    const [a, b, bridge] = await Promise.all([d.broker('broker-a'), d.broker('broker-b'), d.bridge('bridge-1')])
    const { rest, owner, publishers: users, others, topic, roomId } = await chatRoom(bridge, 4, ['watcher'])
    const watcher = others[0] as User

    const ledger = new Ledger()
    const publishers = users.map((user, i) => new Publisher(user, i % 2 === 0 ? a.url : b.url, ledger, topic))
    const traffic = lanes(publishers)
    await waitUntil(
      () => ledger.acked.size >= 300,
      60_000,
      () => `${ledger.acked.size} acknowledged before the outage`
    )

    // graceful stop (the AOF is fsynced on the way out), ~1 s away, back on the same socket and data
    await redis.terminate()
    const ackedAtStop = ledger.acked.size
    await sleep(1000)
    await redis.restart()
    const ackedAtRestart = ledger.acked.size
    await waitUntil(
      () => ledger.acked.size >= ackedAtRestart + 300,
      60_000,
      () => `${ledger.acked.size - ackedAtRestart} acknowledged since Redis came back`
    )
    await traffic.stop()
    await Promise.all(publishers.map((p) => p.settle()))
    const accepted = ledger.accepted()

    // new sends go end to end: live to subscribers on both brokers, and stored
    const live = await Promise.all(
      [a, b].map(async (node) => {
        const received: Envelope[] = []
        const client = await openClient(node.url, watcher.token, { clean: true }, (t, payload) => {
          if (t === topic) received.push(JSON.parse(payload.toString()) as Envelope)
        })
        if (!client) throw new Error(`watcher cannot connect to ${node.url}`)
        clients.push(client)
        await client.subscribeAsync(topic, { qos: 1 })
        return received
      })
    )
    const sender = await publishers[0]!.connect()
    if (!sender) throw new Error('cannot connect a publisher after the outage')
    await sender.publishAsync(topic, JSON.stringify({ id: 'after-outage', body: 'back' }), { qos: 1 })
    await waitUntil(
      () => live.every((received) => received.some((m) => m.id === 'after-outage')),
      10_000,
      () => 'live delivery of a send after the outage'
    )

    const stored = await expectStoredOnce(rest, owner.token, roomId, d.messages(), [...accepted, 'after-outage'], ledger.sent)
    expect(stored.at(-1)).toEqual(live[0]?.find((m) => m.id === 'after-outage'))
    // the same processes: nothing was restarted
    for (const node of [a, b, bridge]) expect(node.child.exitCode, `pid ${node.pid} still running`).toBeNull()
    console.info(
      `Redis restart: ${ledger.sent.size} sent, ${ledger.acked.size} PUBACKed (${ackedAtStop} before the stop, ` +
        `${ackedAtRestart - ackedAtStop} arriving while it was down), rejections ${JSON.stringify(ledger.reasons())}, ${ledger.duplicates} duplicate notices, ${stored.length} stored`
    )
  }, 120_000)

  it('rate limits hold across brokers: one user, 3 sends on each of two brokers, burst 3: exactly 3 accepted', async () => {
    const limits = { MQCHAT_RATE_LIMIT_PER_SECOND: '1', MQCHAT_RATE_LIMIT_BURST: '3' }
    const d = deployment()
    const [a, b, bridge] = await Promise.all([d.broker('broker-a', limits), d.broker('broker-b', limits), d.bridge('bridge-1')])
    const { rest, owner, publishers: users, topic, roomId } = await chatRoom(bridge, 1)
    const user = users[0] as User
    const notices: { type: string; id: string | null; reason: string }[] = []
    const inbox = `users/${user.id}/inbox`
    const connections = await Promise.all(
      [a, b].map(async (node, i) => {
        const client = await openClient(node.url, user.token, { clean: true }, (t, payload) => {
          if (t === inbox && i === 0) notices.push(JSON.parse(payload.toString()))
        })
        if (!client) throw new Error(`cannot connect to ${node.url}`)
        clients.push(client)
        await client.subscribeAsync(inbox, { qos: 1 })
        return client
      })
    )
    // 3 sends on each broker, all at once
    const sends = connections.flatMap((client, c) => [1, 2, 3].map((k) => ({ client, id: `rl-${c}-${k}` })))
    const ids = sends.map((send) => send.id)
    await Promise.all(sends.map(({ client, id }) => client.publishAsync(topic, JSON.stringify({ id, body: id }), { qos: 1 })))
    // an unreadable send on each connection: its notice comes after every earlier notice from that broker
    await Promise.all(connections.map((client) => client.publishAsync(topic, 'not json', { qos: 1 })))
    await waitUntil(
      () => notices.filter((n) => n.id === null).length === 2,
      10_000,
      () => `notices: ${JSON.stringify(notices)}`
    )
    const answered = notices.filter((n) => n.id !== null)
    expect(
      answered.map((n) => n.reason),
      'one notice per refused send'
    ).toEqual(['rate_limited', 'rate_limited', 'rate_limited'])
    const limited = answered.map((n) => n.id as string)
    expect(new Set(limited).size).toBe(3)
    const accepted = ids.filter((id) => !limited.includes(id))
    const history = await fullHistory(rest, owner.token, roomId)
    expect(history.map((m) => m.id).sort()).toEqual(accepted.sort())
    expect(history.map((m) => m.seq)).toEqual([1, 2, 3])
  }, 60_000)
})
