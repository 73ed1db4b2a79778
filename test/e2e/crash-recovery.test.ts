import { randomUUID } from 'node:crypto'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Envelope } from '../../core/message.js'
import { fullHistory } from '../helpers/chat-traffic.js'
import { connectClient, eventually, type TestClient, wrap } from '../helpers/mqtt.js'
import { killAllNodes, type NodeProcess, spawnNode } from '../helpers/node-process.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

type Rest = ReturnType<typeof restClient>
type User = { id: string; token: string }

/** Rate limits off: a rate-limited send is PUBACKed too, and would count as acknowledged. */
const NODE_ENV = { MQCHAT_RATE_LIMIT_PER_SECOND: '0' }
const PUBLISHERS = 5
/** Sends each publisher keeps in flight at once. */
const WINDOW = 8
/** Acknowledged sends after which the node is killed; traffic keeps flowing until then. */
const ACK_TARGET = 400
const MAX_PER_PUBLISHER = 5_000
const TRAFFIC_DEADLINE_MS = 20_000

/** A client whose message listener is attached before CONNECT, so that queued messages sent right after CONNACK are not missed. */
function connectWrapped(url: string, token: string, options: IClientOptions): Promise<TestClient> {
  const client = mqtt.connect(url, { username: 'u', password: token, reconnectPeriod: 0, connectTimeout: 5000, ...options })
  const wrapped = wrap(client)
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(wrapped))
    client.once('error', reject)
  })
}

const sleep = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))

describe('crash recovery: kill -9 of `mqchat dev` mid-traffic', () => {
  let dataDir: { path: string; remove(): Promise<void> }
  let node: NodeProcess
  let rest: Rest
  let owner: User
  let subscriber: User
  let watcher: User
  let publishers: User[]
  let roomId: string
  let topic: string
  const subscriberClientId = `crash-sub-${randomUUID().slice(0, 8)}`
  const clients: TestClient[] = []
  /** Every id handed to publishAsync, and every id whose PUBACK arrived. */
  const sent = new Set<string>()
  const acked = new Set<string>()
  const rejections: unknown[] = []
  let history: Envelope[] = []

  const track = (client: TestClient) => {
    clients.push(client)
    return client
  }

  beforeAll(async () => {
    dataDir = await makeTempDir('mqchat-crash-')
    node = await spawnNode(dataDir.path, NODE_ENV)
    rest = restClient(node.httpUrl)
    owner = await rest.register('owner')
    subscriber = await rest.register('subscriber')
    watcher = await rest.register('watcher')
    publishers = []
    for (let p = 1; p <= PUBLISHERS; p++) publishers.push(await rest.register(`pub${p}`))
    roomId = (await rest.createRoom(owner.token, 'crash', ['subscriber', 'watcher', ...publishers.map((u) => u.id)])).id
    topic = `rooms/${roomId}/messages`

    // a persistent session subscribes at QoS 1, then goes away: its queue fills during the traffic
    const away = await connectClient(node.mqttUrl, subscriber.token, { clientId: subscriberClientId, clean: false })
    await away.client.subscribeAsync(topic, { qos: 1 })
    await away.end()

    // the watcher sees the publishers come online (precondition for the presence check after the crash)
    const presenceWatcher = track(await connectClient(node.mqttUrl, watcher.token))
    await presenceWatcher.client.subscribeAsync(
      publishers.map((u) => `presence/${u.id}`),
      { qos: 1 }
    )

    const publisherClients: TestClient[] = []
    for (const user of publishers) {
      const client = track(await connectClient(node.mqttUrl, user.token))
      client.client.on('message', (inboxTopic, payload) => {
        if (inboxTopic === `users/${user.id}/inbox`) rejections.push(JSON.parse(payload.toString()))
      })
      await client.client.subscribeAsync(`users/${user.id}/inbox`, { qos: 1 })
      publisherClients.push(client)
    }
    for (const user of publishers) {
      const states = await presenceWatcher.waitFor(`presence/${user.id}`)
      expect(states.at(-1)).toMatchObject({ status: 'online' })
    }

    // continuous QoS 1 traffic: each publisher keeps WINDOW sends in flight
    let reached!: () => void
    const targetReached = new Promise<void>((resolve) => {
      reached = resolve
    })
    const counters = publishers.map(() => 0)
    const lane = async (client: MqttClient, p: number) => {
      while (client.connected && (counters[p] as number) < MAX_PER_PUBLISHER) {
        const n = counters[p] as number
        counters[p] = n + 1
        const id = `p${p + 1}-${n}`
        sent.add(id)
        try {
          await client.publishAsync(topic, JSON.stringify({ id, body: `message ${id}` }), { qos: 1 })
        } catch {
          return
        }
        acked.add(id)
        if (acked.size >= ACK_TARGET) reached()
      }
    }
    const lanes = publisherClients.flatMap((client, p) => Array.from({ length: WINDOW }, () => lane(client.client, p)))
    await Promise.race([targetReached, sleep(TRAFFIC_DEADLINE_MS)])

    // kill -9 while sends are still in flight
    node.child.kill('SIGKILL')
    const exit = await node.exited
    expect(exit.signal).toBe('SIGKILL')
    // force-close the clients: pending sends fail ("Connection closed") and the lanes end
    for (const client of clients) client.client.end(true)
    await Promise.race([Promise.allSettled(lanes), sleep(5_000)])
    expect(acked.size, 'acknowledged sends before the kill').toBeGreaterThanOrEqual(ACK_TARGET)
    expect(rejections, 'no send was rejected before the crash').toEqual([])
    console.info(`crash-recovery: ${sent.size} sent, ${acked.size} acknowledged, ${sent.size - acked.size} unacknowledged at kill -9`)

    node = await spawnNode(dataDir.path, NODE_ENV)
    rest = restClient(node.httpUrl)
    history = await fullHistory(rest, owner.token, roomId)
  }, 90_000)

  afterAll(async () => {
    for (const client of clients) client.client.end(true)
    await killAllNodes()
    await dataDir?.remove()
  })

  it('(a) keeps every acknowledged message in history exactly once, and nothing that was never sent', () => {
    const counts = new Map<string, number>()
    for (const message of history) counts.set(message.id, (counts.get(message.id) ?? 0) + 1)
    const missing = [...acked].filter((id) => !counts.has(id))
    const repeated = [...counts].filter(([, count]) => count > 1).map(([id]) => id)
    const unknown = history.filter((m) => !sent.has(m.id)).map((m) => m.id)
    expect(missing, 'acknowledged but missing from history').toEqual([])
    expect(repeated, 'stored more than once').toEqual([])
    expect(unknown, 'in history but never sent').toEqual([])
    for (const message of history) {
      expect(message).toMatchObject({ room: roomId, body: `message ${message.id}`, from: `pub${message.id.split('-')[0]?.slice(1)}` })
    }
  })

  it('(b) numbers the history 1..N with no gap and no duplicate', () => {
    expect(history.length).toBeGreaterThanOrEqual(acked.size)
    expect(history.map((m) => m.seq)).toEqual(Array.from({ length: history.length }, (_, i) => i + 1))
  })

  it('(e) resets the retained presence of users online at the crash to offline', async () => {
    const presence = track(await connectClient(node.mqttUrl, watcher.token))
    await presence.client.subscribeAsync(
      publishers.map((u) => `presence/${u.id}`),
      { qos: 1 }
    )
    for (const user of publishers) {
      const [state] = await presence.waitFor(`presence/${user.id}`)
      expect(state, `presence of ${user.id}`).toEqual({ status: 'offline', ts: expect.any(Number) })
    }
  })

  it('(c) delivers every acknowledged message to the persistent session that was away, once', async () => {
    const back = track(await connectWrapped(node.mqttUrl, subscriber.token, { clientId: subscriberClientId, clean: false }))
    expect(back.client.connected).toBe(true)
    const missing = () => {
      const got = new Set(back.on(topic).map((m: Envelope) => m.id))
      return [...acked].filter((id) => !got.has(id))
    }
    await eventually(
      async () => missing(),
      (ids) => ids.length === 0,
      20_000
      // on a timeout the expect below names the missing ids, which the timeout error would not
    ).catch(() => undefined)
    expect(missing(), 'acknowledged but not delivered from the offline queue').toEqual([])

    const delivered = back.on(topic) as Envelope[]
    const ids = delivered.map((m) => m.id)
    expect(new Set(ids).size, 'no message delivered twice').toBe(ids.length)
    const byId = new Map(history.map((m) => [m.id, m]))
    for (const message of delivered) expect(message).toEqual(byId.get(message.id))
  })

  it('(d) continues at seq N+1 after the restart and still knows every acknowledged id', async () => {
    const n = history.length
    const listener = track(await connectClient(node.mqttUrl, watcher.token))
    await listener.client.subscribeAsync(topic, { qos: 1 })
    const sender = track(await connectClient(node.mqttUrl, (publishers[0] as User).token))
    await sender.client.publishAsync(topic, JSON.stringify({ id: 'after-restart-1', body: 'back again' }), { qos: 1 })
    const [live] = await listener.waitFor(topic)
    expect(live).toMatchObject({ id: 'after-restart-1', seq: n + 1, from: 'pub1' })

    const viaRest = await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'after-restart-2', body: 'and again' }, owner.token)
    expect(viaRest.status).toBe(201)
    expect(viaRest.body.seq).toBe(n + 2)

    // an acknowledged id resent after the restart is a duplicate with its original seq, not a new message
    const old = history.find((m) => acked.has(m.id) && m.from === 'pub2') as Envelope
    const resent = await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: old.id, body: old.body }, (publishers[1] as User).token)
    expect(resent.status).toBe(200)
    expect(resent.body).toEqual(old)

    const tail = await fullHistory(rest, owner.token, roomId)
    expect(tail.map((m) => m.seq)).toEqual(Array.from({ length: n + 2 }, (_, i) => i + 1))
    expect(tail.slice(n).map((m) => m.id)).toEqual(['after-restart-1', 'after-restart-2'])
  })
})

describe('graceful stop: SIGTERM', () => {
  let dataDir: { path: string; remove(): Promise<void> }
  const clients: TestClient[] = []

  beforeAll(async () => {
    dataDir = await makeTempDir('mqchat-sigterm-')
  })
  afterAll(async () => {
    for (const client of clients) client.client.end(true)
    await killAllNodes()
    await dataDir?.remove()
  })

  it('exits with code 0 and a restart on the same data dir keeps the history', async () => {
    const first = await spawnNode(dataDir.path)
    const rest = restClient(first.httpUrl)
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const roomId = (await rest.createRoom(alice.token, 'graceful', ['bob'])).id
    const topic = `rooms/${roomId}/messages`
    const sender = await connectClient(first.mqttUrl, bob.token)
    clients.push(sender)
    for (let i = 1; i <= 20; i++) {
      await sender.client.publishAsync(topic, JSON.stringify({ id: `g-${i}`, body: `graceful ${i}` }), { qos: 1 })
    }
    const before = await fullHistory(rest, alice.token, roomId)
    expect(before.map((m) => m.id)).toEqual(Array.from({ length: 20 }, (_, i) => `g-${i + 1}`))

    // a client still connected while the node stops
    const exit = await first.stop('SIGTERM')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(first.logs.some((line) => line.msg === 'shutting down' && line.signal === 'SIGTERM')).toBe(true)
    sender.client.end(true)

    const second = await spawnNode(dataDir.path)
    const after = await fullHistory(restClient(second.httpUrl), alice.token, roomId)
    expect(after).toEqual(before)
    expect(after.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    const next = await restClient(second.httpUrl).call('POST', `/v1/rooms/${roomId}/messages`, { id: 'g-21', body: 'after' }, bob.token)
    expect(next.body.seq).toBe(21)
    const stopped = await second.stop('SIGTERM')
    expect(stopped).toEqual({ code: 0, signal: null })
  })
})
