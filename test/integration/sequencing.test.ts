import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Envelope } from '../../core/message.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, type TestClient, wrap } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

type Rest = ReturnType<typeof restClient>
type User = { id: string; token: string }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
const messagesOf = (roomId: string) => `rooms/${roomId}/messages`
const inboxOf = (userId: string) => `users/${userId}/inbox`

/** Every message of a room, oldest first, by following `next` from `after=0` in pages of `limit`. */
async function fullHistory(rest: Rest, token: string, roomId: string, limit = 200): Promise<Envelope[]> {
  const all: Envelope[] = []
  let after = 0
  for (;;) {
    const page = await rest.call('GET', `/v1/rooms/${roomId}/messages?after=${after}&limit=${limit}`, undefined, token)
    if (page.status !== 200) throw new Error(`history: ${page.status} ${JSON.stringify(page.body)}`)
    all.push(...page.body.messages)
    if (page.body.next === undefined) return all
    after = page.body.next
  }
}

/** Opens clients and closes every one of them at the end, whatever state they are in. */
function clientPool() {
  const clients: TestClient[] = []
  return {
    async connect(url: string, token: string | undefined, options: mqtt.IClientOptions = {}) {
      const client = await connectClient(url, token, options)
      clients.push(client)
      return client
    },
    /** A client whose message listener is in place before CONNACK, so queued messages are not missed. */
    async connectPersistent(url: string, token: string, clientId: string) {
      const client = wrap(mqtt.connect(url, { username: 'u', password: token, clientId, clean: false, reconnectPeriod: 0 }))
      clients.push(client)
      await new Promise<void>((resolve, reject) => {
        client.client.once('connect', () => resolve())
        client.client.once('error', reject)
      })
      return client
    },
    closeAll: () => Promise.all(clients.map((c) => c.client.endAsync(true))).then(() => undefined)
  }
}

describe('per-room sequencing and idempotency', () => {
  let node: TestNode
  let rest: Rest
  let owner: User
  let watcher: User
  const senders: User[] = []
  const pool = clientPool()

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_RATE_LIMIT_PER_SECOND: '0' })
    rest = restClient(node.httpUrl)
    owner = await rest.register('owner')
    watcher = await rest.register('watcher')
    for (let i = 0; i < 10; i += 1) senders.push(await rest.register(`sender${i}`))
  })
  afterAll(async () => {
    await pool.closeAll()
    await node.destroy()
  })

  it('sequences 1,000 concurrent QoS 1 sends from 10 clients as 1..1000, live and in history', async () => {
    const room = await rest.createRoom(owner.token, 'busy', [watcher.id, ...senders.map((s) => s.id)])
    const topic = messagesOf(room.id)
    const subscriber = await pool.connect(node.mqttUrl, watcher.token)
    await subscriber.client.subscribeAsync(topic, { qos: 1 })
    const clients = await Promise.all(senders.map((sender) => pool.connect(node.mqttUrl, sender.token)))

    const sends = clients.flatMap((client, c) =>
      range(1, 100).map((m) =>
        client.client.publishAsync(topic, JSON.stringify({ id: `c${c}-m${m}`, body: `message ${m} of client ${c}` }), { qos: 1 })
      )
    )
    await Promise.all(sends)

    await subscriber.waitFor(topic, 1000, 30_000)
    await sleep(300)
    const live: Envelope[] = subscriber.on(topic)
    expect(live).toHaveLength(1000)
    expect(live.map((m) => m.seq)).toEqual(range(1, 1000))
    expect(new Set(live.map((m) => m.id)).size).toBe(1000)
    for (const message of live) {
      const client = Number(/^c(\d)-m\d+$/.exec(message.id)?.[1])
      expect(message.from).toBe(senders[client]?.id)
      expect(message.room).toBe(room.id)
    }
    // each sender's own messages keep the order it published them in
    for (let c = 0; c < 10; c += 1) {
      const own = live.filter((m) => m.id.startsWith(`c${c}-`)).map((m) => m.id)
      expect(own).toEqual(range(1, 100).map((m) => `c${c}-m${m}`))
    }

    const history = await eventually(
      () => fullHistory(rest, watcher.token, room.id),
      (messages) => messages.length === 1000,
      15_000
    )
    expect(history.map((m) => m.seq)).toEqual(range(1, 1000))
    expect(history).toEqual(live)
  })

  describe('resending the same (room, id)', () => {
    let roomId: string
    let sender: TestClient
    let receiver: TestClient
    const sent = new Map<string, number>()

    beforeAll(async () => {
      roomId = (await rest.createRoom(owner.token, 'retries', [watcher.id])).id
      sender = await pool.connect(node.mqttUrl, owner.token)
      await sender.client.subscribeAsync(inboxOf(owner.id), { qos: 1 })
      receiver = await pool.connect(node.mqttUrl, watcher.token)
      await receiver.client.subscribeAsync(messagesOf(roomId), { qos: 1 })
    })

    const send = (client: TestClient, id: string, options: mqtt.IClientPublishOptions = {}) =>
      client.client.publishAsync(messagesOf(roomId), JSON.stringify({ id, body: `body of ${id}` }), { qos: 1, ...options })
    const deliveredWithId = (id: string) => receiver.on(messagesOf(roomId)).filter((m: Envelope) => m.id === id)
    const duplicateNotices = (client: TestClient, id: string) =>
      client.on(inboxOf(owner.id)).filter((n) => n.type === 'duplicate' && n.id === id)

    it('sequentially: same seq, one delivery, a duplicate notice to the sender', async () => {
      await send(sender, 'seq-1')
      const [first] = await receiver.waitFor(messagesOf(roomId))
      await send(sender, 'seq-1')
      await sender.waitFor(inboxOf(owner.id))
      expect(duplicateNotices(sender, 'seq-1')).toEqual([{ type: 'duplicate', id: 'seq-1', room: roomId, seq: first.seq }])
      sent.set('seq-1', first.seq)
    })

    it('concurrently: one of the in-flight copies is sequenced, the others are duplicates of it', async () => {
      const before = sender.on(inboxOf(owner.id)).length
      await Promise.all([send(sender, 'conc-1'), send(sender, 'conc-1'), send(sender, 'conc-1')])
      const notices = await sender.waitFor(inboxOf(owner.id), before + 2)
      const delivered = await eventuallyDelivered(() => deliveredWithId('conc-1'))
      expect(notices.slice(before)).toEqual([
        { type: 'duplicate', id: 'conc-1', room: roomId, seq: delivered.seq },
        { type: 'duplicate', id: 'conc-1', room: roomId, seq: delivered.seq }
      ])
      sent.set('conc-1', delivered.seq)
    })

    it('as an MQTT retransmission after a reconnect: same seq, no second delivery', async () => {
      const phone = await pool.connectPersistent(node.mqttUrl, owner.token, 'owner-phone')
      await phone.client.subscribeAsync(inboxOf(owner.id), { qos: 1 })
      await send(phone, 'retx-1')
      const delivered = await eventuallyDelivered(() => deliveredWithId('retx-1'))
      await phone.client.endAsync()

      const again = await pool.connectPersistent(node.mqttUrl, owner.token, 'owner-phone')
      await send(again, 'retx-1', { dup: true })
      await again.waitFor(inboxOf(owner.id))
      expect(duplicateNotices(again, 'retx-1')).toEqual([{ type: 'duplicate', id: 'retx-1', room: roomId, seq: delivered.seq }])
      sent.set('retx-1', delivered.seq)
    })

    it('delivered each message once and stored one copy of each', async () => {
      await send(sender, 'control-1')
      await eventuallyDelivered(() => deliveredWithId('control-1'))
      await sleep(300)
      const live: Envelope[] = receiver.on(messagesOf(roomId))
      expect(live.map((m) => m.id)).toEqual(['seq-1', 'conc-1', 'retx-1', 'control-1'])
      expect(live.map((m) => m.seq)).toEqual([1, 2, 3, 4])
      expect(live.slice(0, 3).map((m) => m.seq)).toEqual([...sent.values()])

      const history = await eventually(
        () => fullHistory(rest, owner.token, roomId),
        (messages) => messages.some((m) => m.id === 'control-1')
      )
      expect(history).toEqual(live)
    })

    /** Waits for a delivery the receiver has no dedicated event for (it arrives among others). */
    async function eventuallyDelivered(probe: () => Envelope[]): Promise<Envelope> {
      const [first] = await eventually(
        async () => probe(),
        (found) => found.length > 0
      )
      if (!first) throw new Error('not delivered')
      return first
    }
  })

  it('treats the same id in two different rooms as two messages', async () => {
    const first = await rest.createRoom(owner.token, 'first', [watcher.id])
    const second = await rest.createRoom(owner.token, 'second', [watcher.id])
    const sender = await pool.connect(node.mqttUrl, owner.token)
    await sender.client.subscribeAsync(inboxOf(owner.id), { qos: 1 })
    const receiver = await pool.connect(node.mqttUrl, watcher.token)
    await receiver.client.subscribeAsync([messagesOf(first.id), messagesOf(second.id)], { qos: 1 })

    const payload = JSON.stringify({ id: 'shared-id', body: 'twice' })
    await sender.client.publishAsync(messagesOf(first.id), payload, { qos: 1 })
    await sender.client.publishAsync(messagesOf(second.id), payload, { qos: 1 })

    const [inFirst] = await receiver.waitFor(messagesOf(first.id))
    const [inSecond] = await receiver.waitFor(messagesOf(second.id))
    expect(inFirst).toMatchObject({ id: 'shared-id', room: first.id, seq: 1, from: owner.id })
    expect(inSecond).toMatchObject({ id: 'shared-id', room: second.id, seq: 1, from: owner.id })
    await sleep(300)
    expect(sender.on(inboxOf(owner.id))).toEqual([])

    expect(await rest.history(owner.token, first.id)).toEqual([inFirst])
    expect(await rest.history(owner.token, second.id)).toEqual([inSecond])
  })
})

describe('per-user rate limiting of chat sends', () => {
  let node: TestNode
  let rest: Rest
  const pool = clientPool()

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_RATE_LIMIT_PER_SECOND: '1', MQCHAT_RATE_LIMIT_BURST: '3' })
    rest = restClient(node.httpUrl)
  })
  afterAll(async () => {
    await pool.closeAll()
    await node.destroy()
  })

  it('rejects sends past the burst with reason rate_limited and keeps the connection up', async () => {
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const roomId = (await rest.createRoom(alice.token, 'limited', [bob.id])).id
    const topic = messagesOf(roomId)
    const receiver = await pool.connect(node.mqttUrl, bob.token)
    await receiver.client.subscribeAsync(topic, { qos: 1 })
    const sender = await pool.connect(node.mqttUrl, alice.token)
    await sender.client.subscribeAsync(inboxOf(alice.id), { qos: 1 })

    const ids = range(1, 6).map((n) => `burst-${n}`)
    await Promise.all(ids.map((id) => sender.client.publishAsync(topic, JSON.stringify({ id, body: id }), { qos: 1 })))

    const rejections = await sender.waitFor(inboxOf(alice.id), 3)
    expect(rejections).toEqual(
      ids.slice(3).map((id) => ({ type: 'rejected', id, room: roomId, reason: 'rate_limited', message: expect.any(String) }))
    )
    const delivered = await receiver.waitFor(topic, 3)
    await sleep(300)
    expect(delivered.map((m: Envelope) => m.id)).toEqual(ids.slice(0, 3))
    expect(receiver.on(topic)).toHaveLength(3)
    expect(sender.on(inboxOf(alice.id))).toHaveLength(3)

    expect(sender.client.connected).toBe(true)
    await sender.client.subscribeAsync(topic, { qos: 1 })
    expect(sender.client.connected).toBe(true)
    expect((await rest.history(alice.token, roomId)).map((m) => m.id)).toEqual(ids.slice(0, 3).reverse())
  })
})
