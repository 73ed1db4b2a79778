import { join } from 'node:path'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { ClassicLevel } from 'classic-level'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, subscribeCodes, type TestClient, wrap as wrapClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

type User = { id: string; token: string }

/** Connects and resolves with the CONNACK (mqtt.js turns a refusal into an error carrying its code). */
function connectWithConnack(url: string, token: string | undefined, options: IClientOptions = {}) {
  return new Promise<{ client: MqttClient; sessionPresent: boolean }>((resolve, reject) => {
    const client = mqtt.connect(url, { username: 'u', password: token, reconnectPeriod: 0, connectTimeout: 5000, ...options })
    client.once('connect', (connack) => resolve({ client, sessionPresent: connack.sessionPresent }))
    client.once('error', (error) => {
      client.end(true)
      reject(error)
    })
  })
}

/** The CONNACK return code a connection attempt gets (0 = accepted; the client is ended either way). */
async function connackCode(url: string, token: string | undefined, options: IClientOptions = {}): Promise<number> {
  try {
    const { client } = await connectWithConnack(url, token, options)
    await client.endAsync(true)
    return 0
  } catch (error) {
    return (error as { code?: number }).code ?? -1
  }
}

/** Resolves when the broker closes the connection. */
function closed(client: TestClient): Promise<void> {
  return new Promise((resolve) => (client.client.connected ? client.client.once('close', () => resolve()) : resolve()))
}

/** The subscriptions a persistent session has stored, read from the node's session LevelDB after it stopped. */
async function storedSubscriptions(dataDir: string, clientId: string): Promise<string[]> {
  const db = new ClassicLevel(join(dataDir, 'sessions'))
  await db.open()
  const persistence = new AsyncLevelPersistence(db) as AsyncLevelPersistence & {
    subscriptionsByClient(client: { id: string }): Promise<{ topic: string }[]>
  }
  await persistence.setup({ id: 'reader' })
  try {
    return (await persistence.subscriptionsByClient({ id: clientId })).map((s) => s.topic).sort()
  } finally {
    await db.close()
  }
}

describe('SUBSCRIBE cannot exhaust memory and grants only filters that can deliver', () => {
  const MAX_SUBSCRIPTIONS = 40
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  let node: TestNode
  let alice: User
  let roomId: string

  beforeAll(async () => {
    dir = await makeTempDir()
    node = await startTestNode({ MQCHAT_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS), MQCHAT_GENERIC_TOPICS: 'false' }, dir.path)
    const rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    await rest.register('bob')
    roomId = (await rest.createRoom(alice.token, 'general', ['bob'])).id
  })
  afterAll(async () => {
    await node.close()
    await dir.remove()
  })

  it('one SUBSCRIBE of 1,000 filters on a persistent session closes the connection and stores nothing', async () => {
    const attacker = await connectClient(node.mqttUrl, alice.token, { clientId: 'flood', clean: false })
    const filters = Array.from({ length: 1000 }, (_, i) => `rooms/${roomId}/messages/${i}`)
    const gone = closed(attacker)
    attacker.client.subscribe(filters, { qos: 1 }, () => {})
    await gone
    // the session holds no subscription: a reconnect finds none (session present 0)
    const again = await connectWithConnack(node.mqttUrl, alice.token, { clientId: 'flood', clean: false })
    await again.client.endAsync()
    expect(again.sessionPresent).toBe(false)
    // the well-behaved size still works
    const fine = await connectClient(node.mqttUrl, alice.token, { clientId: 'fine', clean: false })
    const codes = await subscribeCodes(
      fine.client,
      Array.from({ length: 32 }, (_, i) => `rooms/${roomId}/${i % 2 ? 'messages' : 'events'}`)
    )
    expect(codes.every((code) => code === 1)).toBe(true)
    await fine.end()
  })

  it('filters that can never deliver are refused: presence of a stranger or nobody, generic filters with generic topics off', async () => {
    const client = await connectClient(node.mqttUrl, alice.token, { clientId: 'never', clean: false })
    const codes = await subscribeCodes(client.client, [
      'presence/nobody',
      'presence/bob',
      'sensors/#',
      'sensors/kitchen',
      `rooms/${roomId}/messages`,
      'rooms/+/messages',
      'presence/+'
    ])
    expect(codes).toEqual([128, 1, 128, 128, 1, 1, 1])
    await client.end()
  })

  it('a session holds at most MQCHAT_MAX_SUBSCRIPTIONS filters, also across a reconnect; refused filters are not stored', async () => {
    const options = { clientId: 'many', clean: false }
    const first = await connectClient(node.mqttUrl, alice.token, options)
    const granted: number[] = []
    for (let batch = 0; batch < 3; batch++) {
      const filters = Array.from({ length: 20 }, (_, i) => `rooms/+/messages/x${batch * 20 + i}`)
      granted.push(...(await subscribeCodes(first.client, filters)))
    }
    expect(granted.filter((code) => code === 1)).toHaveLength(MAX_SUBSCRIPTIONS)
    expect(granted.slice(MAX_SUBSCRIPTIONS).every((code) => code === 128)).toBe(true)
    // a filter the session holds is granted again
    expect(await subscribeCodes(first.client, ['rooms/+/messages/x0'])).toEqual([1])
    await first.end()
    const second = await connectClient(node.mqttUrl, alice.token, options)
    // restored filters still count: a new one is refused
    expect(await subscribeCodes(second.client, ['rooms/+/messages/new'])).toEqual([128])
    await second.end()
    await node.close()
    const stored = await storedSubscriptions(dir.path, 'many')
    expect(stored).toHaveLength(MAX_SUBSCRIPTIONS)
    expect(stored).not.toContain('rooms/+/messages/new')
    expect(await storedSubscriptions(dir.path, 'flood')).toEqual([])
    expect(await storedSubscriptions(dir.path, 'never')).toEqual(
      ['presence/+', 'presence/bob', `rooms/${roomId}/messages`, 'rooms/+/messages'].sort()
    )
    node = await startTestNode({}, dir.path)
  })
})

describe('wills cannot forge chat, inbox, events or presence', () => {
  let node: TestNode
  let alice: User
  let mallory: User
  let roomId: string

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_GENERIC_TOPICS: 'true' })
    const rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    mallory = await rest.register('mallory')
    roomId = (await rest.createRoom(alice.token, 'general')).id
  })
  afterAll(() => node.destroy())

  it('a will on any chat, inbox, events, presence, reserved or $ topic is refused at CONNECT (CONNACK 5)', async () => {
    const forged = JSON.stringify({ id: 'forged', room: roomId, seq: 999, from: 'alice', ts: 1, body: 'send me your password' })
    const topicsTried = [
      `rooms/${roomId}/messages`,
      `rooms/${roomId}/events`,
      `rooms/${roomId}/typing`,
      `rooms/${roomId}/whatever`,
      `users/${alice.id}/inbox`,
      'users/x',
      `presence/${alice.id}`,
      '$SYS/broker/forged',
      '$mqchat/discarded',
      '$forged/topic'
    ]
    for (const topic of topicsTried) {
      const will = { topic, payload: Buffer.from(forged), qos: 1 as const, retain: true }
      expect(await connackCode(node.mqttUrl, mallory.token, { clientId: `will-${topic.length}`, will }), topic).toBe(5)
    }
  })

  it('nothing forged reaches a member; a will on a generic topic is still published when its author dies', async () => {
    const watcher = await connectClient(node.mqttUrl, alice.token)
    await watcher.client.subscribeAsync([`rooms/${roomId}/#`, `users/${alice.id}/inbox`, 'devices/#'], { qos: 1 })
    const device = await connectClient(node.mqttUrl, mallory.token, {
      clientId: 'device-1',
      will: { topic: 'devices/1/status', payload: Buffer.from('gone'), qos: 1, retain: true }
    })
    // dies without DISCONNECT: the will is published
    ;(device.client as unknown as { stream: { destroy(): void } }).stream.destroy()
    await watcher.waitFor('devices/1/status')
    expect(watcher.received.map((m) => m.topic)).toEqual(['devices/1/status'])
    await watcher.end()
  })
})

describe('a client id belongs to the user who created the session', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  let alice: User
  let bob: User
  let roomId: string

  beforeAll(async () => {
    node = await startTestNode()
    rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    bob = await rest.register('bob')
    roomId = (await rest.createRoom(bob.token, 'general', ['alice'])).id
  })
  afterAll(() => node.destroy())

  it('another user presenting a live connection’s id is refused (CONNACK 2) and the owner stays connected', async () => {
    for (const clean of [true, false]) {
      const clientId = `alice-phone-${clean}`
      const owner = await connectClient(node.mqttUrl, alice.token, { clientId, clean })
      await owner.client.subscribeAsync(`rooms/${roomId}/messages`, { qos: 1 })
      let ownerClosed = false
      owner.client.on('close', () => {
        ownerClosed = true
      })
      expect(await connackCode(node.mqttUrl, bob.token, { clientId, clean })).toBe(2)
      expect(await connackCode(node.mqttUrl, bob.token, { clientId, clean: !clean })).toBe(2)
      // the owner still receives: the room's next message arrives on the untouched connection
      const id = `after-takeover-${clean}`
      await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id, body: 'still yours' }, bob.token)
      const [message] = await owner.waitFor(`rooms/${roomId}/messages`)
      expect(message).toMatchObject({ id, from: 'bob' })
      expect(ownerClosed).toBe(false)
      await owner.end()
    }
  })

  it('the owner’s offline session keeps its queued notices and its missed messages', async () => {
    const clientId = 'alice-tablet'
    const first = await connectClient(node.mqttUrl, alice.token, { clientId, clean: false })
    await first.client.subscribeAsync([`rooms/${roomId}/messages`, `users/${alice.id}/inbox`], { qos: 1 })
    await first.end()
    // while alice is away: 2 invitations queue on her inbox, 3 messages in the room
    for (const name of ['one', 'two']) await rest.createRoom(bob.token, name, ['alice'])
    for (const n of [1, 2, 3]) await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: `missed-${n}`, body: 'hi' }, bob.token)
    // bob tries to take the session over, both ways
    expect(await connackCode(node.mqttUrl, bob.token, { clientId, clean: false })).toBe(2)
    expect(await connackCode(node.mqttUrl, bob.token, { clientId, clean: true })).toBe(2)
    const back = await connectWithConnack(node.mqttUrl, alice.token, { clientId, clean: false })
    expect(back.sessionPresent).toBe(true)
    const owner = wrapClient(back.client)
    const notices = await owner.waitFor(`users/${alice.id}/inbox`, 2)
    expect(notices.map((n) => n.type)).toEqual(['invited', 'invited'])
    const missed = await owner.waitFor(`rooms/${roomId}/messages`, 3)
    expect(missed.map((m) => m.id)).toEqual(['missed-1', 'missed-2', 'missed-3'])
    await owner.end()
  })
})

describe('presence goes only to users who share a room', () => {
  let node: TestNode
  let alice: User
  let bob: User
  let carol: User
  let erin: User

  beforeAll(async () => {
    node = await startTestNode()
    const rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    bob = await rest.register('bob')
    carol = await rest.register('carol')
    erin = await rest.register('erin')
    await rest.createRoom(alice.token, 'ab', ['bob'])
    await rest.createRoom(carol.token, 'ce', ['erin'])
  })
  afterAll(() => node.destroy())

  it('a stranger cannot subscribe to presence/{user}, and presence/+ shows only people you share a room with', async () => {
    const aliceClient = await connectClient(node.mqttUrl, alice.token)
    const bobClient = await connectClient(node.mqttUrl, bob.token)
    const carolClient = await connectClient(node.mqttUrl, carol.token)
    expect(await subscribeCodes(carolClient.client, [`presence/${alice.id}`, `presence/${carol.id}`, `presence/${erin.id}`])).toEqual([
      128, 1, 1
    ])
    expect(await subscribeCodes(bobClient.client, [`presence/${alice.id}`])).toEqual([1])
    await carolClient.client.subscribeAsync('presence/+', { qos: 1 })
    await bobClient.client.subscribeAsync('presence/+', { qos: 1 })
    // retained: bob sees alice online, carol does not
    await bobClient.waitFor(`presence/${alice.id}`)
    await aliceClient.end()
    await eventually(
      async () => bobClient.on(`presence/${alice.id}`),
      (states) => states.some((state) => state.status === 'offline')
    )
    // erin comes online after alice went offline: once carol has that, she had alice's too, if any
    const erinClient = await connectClient(node.mqttUrl, erin.token)
    await carolClient.waitFor(`presence/${erin.id}`)
    expect(carolClient.on(`presence/${alice.id}`)).toEqual([])
    expect(carolClient.received.every((m) => m.topic === `presence/${erin.id}` || m.topic === `presence/${carol.id}`)).toBe(true)
    await Promise.all([bobClient.end(), carolClient.end(), erinClient.end()])
  })
})
