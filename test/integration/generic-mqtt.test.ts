import { createConnection } from 'node:net'
import mqtt, { type IClientOptions } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, subscribeCodes, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

type User = { id: string; token: string }
type Seen = { topic: string; qos: number; retain: boolean; payload: string }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Opens clients that record every PUBLISH with its flags, and closes them all at the end. */
function clientPool(node: () => TestNode) {
  const clients: TestClient[] = []
  const packets = new Map<TestClient, Seen[]>()
  const track = (client: TestClient) => {
    const seen: Seen[] = []
    client.client.on('message', (topic, payload, packet) =>
      seen.push({ topic, qos: packet.qos, retain: packet.retain, payload: payload.toString() })
    )
    packets.set(client, seen)
    clients.push(client)
    return client
  }
  return {
    connect: async (token: string | undefined, options: IClientOptions = {}) => track(await connectClient(node().mqttUrl, token, options)),
    seen: (client: TestClient, topic?: string) => (packets.get(client) ?? []).filter((p) => topic === undefined || p.topic === topic),
    closeAll: () => Promise.all(clients.map((c) => c.client.endAsync(true))).then(() => undefined)
  }
}

/**
 * Sends a raw MQTT 3.1.1 CONNECT with a zero-length client id and no credentials, and collects
 * what the broker answers until the connection ends (we end a clean session once its CONNACK is in).
 * mqtt.js cannot send this: its encoder (mqtt-packet) refuses an empty client id with clean session 0.
 */
function rawConnectWithEmptyId(port: number, clean: boolean): Promise<Buffer> {
  // fixed header, then "MQTT", level 4, connect flags, keep-alive 60 s, zero-length client id
  const connect = Buffer.from([0x10, 12, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, clean ? 0x02 : 0x00, 0x00, 60, 0x00, 0x00])
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write(connect))
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      if (clean && Buffer.concat(chunks).length >= 4) socket.end()
    })
    socket.on('error', reject)
    socket.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

describe('generic MQTT 3.1.1 topics beside chat (MQCHAT_GENERIC_TOPICS=true, anonymous allowed)', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  const pool = clientPool(() => node)

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_GENERIC_TOPICS: 'true', MQCHAT_ALLOW_ANONYMOUS: 'true' })
    rest = restClient(node.httpUrl)
  })
  afterAll(async () => {
    await pool.closeAll()
    await node.destroy()
  })

  it('lets anonymous clients publish and subscribe at QoS 0 and 1', async () => {
    const subscriber = await pool.connect(undefined)
    const publisher = await pool.connect(undefined)
    await subscriber.client.subscribeAsync('sensors/room1/temp', { qos: 1 })
    await subscriber.client.subscribeAsync('sensors/room1/humidity', { qos: 0 })

    await publisher.client.publishAsync('sensors/room1/temp', '21.5', { qos: 0 })
    await publisher.client.publishAsync('sensors/room1/temp', '21.6', { qos: 1 })
    await publisher.client.publishAsync('sensors/room1/humidity', '40', { qos: 1 })
    await subscriber.waitFor('sensors/room1/temp', 2)
    await subscriber.waitFor('sensors/room1/humidity')

    expect(pool.seen(subscriber, 'sensors/room1/temp')).toEqual([
      { topic: 'sensors/room1/temp', qos: 0, retain: false, payload: '21.5' },
      { topic: 'sensors/room1/temp', qos: 1, retain: false, payload: '21.6' }
    ])
    // granted QoS 0 downgrades a QoS 1 publish
    expect(pool.seen(subscriber, 'sensors/room1/humidity')).toEqual([
      { topic: 'sensors/room1/humidity', qos: 0, retain: false, payload: '40' }
    ])
  })

  it('keeps retained messages for new subscribers and clears them with an empty retained payload', async () => {
    const topic = 'sensors/room2/temp'
    const publisher = await pool.connect(undefined)
    const live = await pool.connect(undefined)
    await live.client.subscribeAsync(topic, { qos: 1 })
    await publisher.client.publishAsync(topic, '19.0', { qos: 1, retain: true })

    // [MQTT-3.3.1-9] an established subscription gets it with RETAIN 0
    await live.waitFor(topic)
    expect(pool.seen(live, topic)).toEqual([{ topic, qos: 1, retain: false, payload: '19.0' }])
    // [MQTT-3.3.1-6] a new subscription gets the retained message with RETAIN 1
    const late = await pool.connect(undefined)
    await late.client.subscribeAsync(topic, { qos: 1 })
    await late.waitFor(topic)
    expect(pool.seen(late, topic)).toEqual([{ topic, qos: 1, retain: true, payload: '19.0' }])

    // [MQTT-3.3.1-10] a zero-byte retained payload clears the topic and is delivered as normal
    await publisher.client.publishAsync(topic, '', { qos: 1, retain: true })
    await live.waitFor(topic, 2)
    expect(pool.seen(live, topic)[1]).toEqual({ topic, qos: 1, retain: false, payload: '' })

    const afterClear = await pool.connect(undefined)
    await afterClear.client.subscribeAsync(topic, { qos: 1 })
    await publisher.client.publishAsync(topic, '18.5', { qos: 1 })
    await afterClear.waitFor(topic)
    await sleep(300)
    expect(pool.seen(afterClear, topic)).toEqual([{ topic, qos: 1, retain: false, payload: '18.5' }])
  })

  it('[MQTT-3.1.3-8] refuses a zero-length client id with clean session false: CONNACK 2, then closes', async () => {
    // the broker ends the connection itself: the promise only settles on the socket's end
    const reply = await rawConnectWithEmptyId(node.mqttPort, false)
    // CONNACK: type 2, remaining length 2, session present 0, return code 2 (identifier rejected)
    expect([...reply]).toEqual([0x20, 0x02, 0x00, 0x02])
  })

  it('[MQTT-3.1.3-6] accepts zero-length client ids with clean session true, each as its own client', async () => {
    expect([...(await rawConnectWithEmptyId(node.mqttPort, true))]).toEqual([0x20, 0x02, 0x00, 0x00])
    const first = await pool.connect(undefined, { clientId: '', clean: true })
    const second = await pool.connect(undefined, { clientId: '', clean: true })
    await first.client.subscribeAsync('sensors/anon/+', { qos: 1 })
    await second.client.subscribeAsync('sensors/anon/+', { qos: 1 })
    await first.client.publishAsync('sensors/anon/one', 'from first', { qos: 1 })
    await second.client.publishAsync('sensors/anon/two', 'from second', { qos: 1 })
    for (const client of [first, second]) {
      await client.waitFor('sensors/anon/one')
      await client.waitFor('sensors/anon/two')
      expect(client.client.connected).toBe(true)
    }
  })

  it('refuses $SYS/# subscriptions', async () => {
    const anonymous = await pool.connect(undefined)
    expect(await subscribeCodes(anonymous.client, ['$SYS/#'])).toEqual([128])
  })

  describe('wildcards never leak chat', () => {
    let alice: User
    let bob: User
    let carol: User
    let mallory: User
    let dave: User
    let roomId: string
    let otherRoomId: string
    const filters = ['#', '+/+/+', 'rooms/#', 'users/+/inbox', 'presence/+']
    const telemetry = 'sensors/hall/co2'
    const isChat = (topic: string) => topic.startsWith('rooms/') || topic.startsWith('users/') || topic.startsWith('presence/')

    beforeAll(async () => {
      alice = await rest.register('alice')
      bob = await rest.register('bob')
      carol = await rest.register('carol')
      mallory = await rest.register('mallory')
      dave = await rest.register('dave')
      roomId = (await rest.createRoom(alice.token, 'with-alice', [bob.id])).id
      otherRoomId = (await rest.createRoom(bob.token, 'without-alice', [carol.id])).id
    })

    it('shows anonymous and non-member wildcard subscribers telemetry only, and a member only its own chat', async () => {
      const anonymous = await pool.connect(undefined)
      expect((await subscribeCodes(anonymous.client, filters))[0]).not.toBe(128)
      const outsider = await pool.connect(mallory.token)
      expect((await subscribeCodes(outsider.client, filters))[0]).not.toBe(128)
      const member = await pool.connect(alice.token)
      expect(await subscribeCodes(member.client, ['#'])).toEqual([1])

      // chat traffic of every kind: presence, room messages, inbox notices
      const talker = await pool.connect(bob.token)
      await talker.client.publishAsync(`rooms/${roomId}/messages`, JSON.stringify({ id: 'in-alice-room', body: 'hi' }), { qos: 1 })
      await talker.client.publishAsync(`rooms/${otherRoomId}/messages`, JSON.stringify({ id: 'in-other-room', body: 'psst' }), { qos: 1 })
      await talker.client.publishAsync(`rooms/${roomId}/typing`, JSON.stringify({ typing: true }), { qos: 1 })
      await talker.client.publishAsync(`rooms/${roomId}/messages`, 'not json', { qos: 1 })
      await member.client.publishAsync(`rooms/${roomId}/messages`, 'not json either', { qos: 1 })
      // anonymous forgeries on chat topics are dropped
      await forgeChatAnonymously(anonymous)
      // an invitation notice on users/dave/inbox and a member_added event in a room alice is not in
      const added = await rest.call('POST', `/v1/rooms/${otherRoomId}/members`, { userId: dave.id }, bob.token)
      expect(added.status).toBeLessThan(300)

      // what the member must see, then the telemetry that everyone must see
      await member.waitFor(`rooms/${roomId}/messages`)
      await member.waitFor(`users/${alice.id}/inbox`)
      const sensor = await pool.connect(undefined)
      await sensor.client.publishAsync(telemetry, '415', { qos: 1 })
      for (const client of [anonymous, outsider, member]) await client.waitFor(telemetry)
      await sleep(300)

      const topicsOf = (client: TestClient) => [...new Set(pool.seen(client).map((p) => p.topic))]
      expect(topicsOf(anonymous).filter(isChat)).toEqual([])
      expect(topicsOf(outsider).filter((t) => t.startsWith('rooms/') || t.startsWith('users/'))).toEqual([])
      expect(topicsOf(outsider).filter((t) => t.startsWith('presence/')).length).toBeGreaterThan(0)

      const memberChat = topicsOf(member).filter(isChat)
      expect(memberChat).toEqual(
        expect.arrayContaining([`rooms/${roomId}/messages`, `rooms/${roomId}/typing`, `users/${alice.id}/inbox`, `presence/${bob.id}`])
      )
      for (const topic of memberChat) {
        expect(
          [`rooms/${roomId}/messages`, `rooms/${roomId}/typing`, `users/${alice.id}/inbox`].includes(topic) || topic.startsWith('presence/')
        ).toBe(true)
      }
      expect(member.on(`rooms/${roomId}/messages`).map((m) => m.id)).toEqual(['in-alice-room'])
      expect(member.on(`users/${alice.id}/inbox`)).toEqual([
        { type: 'rejected', id: null, room: roomId, reason: 'invalid_json', message: expect.any(String) }
      ])
      expect(member.on(`presence/${alice.id}`).map((p) => p.status)).toEqual(['online'])
    })

    /** An anonymous client writing to a room, an inbox and a presence topic. */
    async function forgeChatAnonymously(anonymous: TestClient) {
      await anonymous.client.publishAsync(`rooms/${roomId}/messages`, JSON.stringify({ id: 'anon-1', body: 'forged' }), { qos: 1 })
      await anonymous.client.publishAsync(`users/${alice.id}/inbox`, JSON.stringify({ type: 'invited', room: 'forged' }), { qos: 1 })
      await anonymous.client.publishAsync(`presence/${alice.id}`, JSON.stringify({ status: 'offline', ts: 1 }), { qos: 1, retain: true })
      expect(anonymous.client.connected).toBe(true)
    }
  })
})

describe('without generic topics (default configuration)', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  const pool = clientPool(() => node)

  beforeAll(async () => {
    node = await startTestNode()
    rest = restClient(node.httpUrl)
  })
  afterAll(async () => {
    await pool.closeAll()
    await node.destroy()
  })

  it('refuses an anonymous connection with return code 5', async () => {
    const connacks: number[] = []
    const client = mqtt.connect(node.mqttUrl, { reconnectPeriod: 0 })
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'connack') connacks.push(packet.returnCode ?? -1)
    })
    const error = await new Promise<Error & { code?: unknown }>((resolve) => client.once('error', resolve))
    await new Promise<void>((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()))
    client.end(true)
    expect(error.code).toBe(5)
    expect(connacks).toEqual([5])
    expect(client.connected).toBe(false)
  })

  it('drops publishes to non-chat topics and refuses subscriptions to them', async () => {
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const roomId = (await rest.createRoom(alice.token, 'general', [bob.id])).id
    const subscriber = await pool.connect(bob.token)
    expect(await subscribeCodes(subscriber.client, ['sensors/x'])).toEqual([128])
    expect(await subscribeCodes(subscriber.client, ['#'])).toEqual([1])
    expect(await subscribeCodes(subscriber.client, ['$SYS/#'])).toEqual([128])

    const publisher = await pool.connect(alice.token)
    await publisher.client.publishAsync('sensors/x', '1', { qos: 1 })
    await publisher.client.publishAsync('sensors/x', '2', { qos: 0, retain: true })
    await publisher.client.publishAsync(`rooms/${roomId}/messages`, JSON.stringify({ id: 'control', body: 'control' }), { qos: 1 })
    await subscriber.waitFor(`rooms/${roomId}/messages`)
    await sleep(300)
    expect(
      pool
        .seen(subscriber)
        .filter((p) => !p.topic.startsWith('presence/'))
        .map((p) => p.topic)
    ).toEqual([`rooms/${roomId}/messages`])
    expect(publisher.client.connected).toBe(true)

    // nothing was retained either
    const late = await pool.connect(bob.token)
    await late.client.subscribeAsync('#', { qos: 1 })
    await publisher.client.publishAsync(`rooms/${roomId}/messages`, JSON.stringify({ id: 'control-2', body: 'control' }), { qos: 1 })
    await late.waitFor(`rooms/${roomId}/messages`)
    await sleep(300)
    expect(pool.seen(late).filter((p) => p.topic === 'sensors/x')).toEqual([])
  })
})
