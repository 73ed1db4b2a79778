import { randomUUID } from 'node:crypto'
import mqtt, { type IClientOptions } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fullHistory } from '../helpers/chat-traffic.js'
import { FORGED, forgedWills, plantWills, redisSessions, retainedOf, type Will, withSessionLevel } from '../helpers/forged-wills.js'
import { startTestMongo, type TestMongo } from '../helpers/mongo-server.js'
import { connectClient, eventually, type TestClient, wrap } from '../helpers/mqtt.js'
import { killAllNodes, spawnMqchat, spawnNode } from '../helpers/node-process.js'
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

/**
 * Issue 6 item 2, the path no live client reaches: wills a dead node left in the session store, which a
 * live node publishes through authorizePublish with no client (Aedes `_clearWills`) once the dead one
 * missed 3 heartbeats. The CONNECT policy keeps such wills out today, so forged ones are written into
 * the store directly: the publish-time check alone must stop them. A heartbeat of 250 ms keeps it short.
 */
const HEARTBEAT = { MQCHAT_BROKER_HEARTBEAT_MS: '250', MQCHAT_GENERIC_TOPICS: 'true', MQCHAT_RATE_LIMIT_PER_SECOND: '0' }
/** A genuine will on a generic topic: generic topics are on, so it is published (the positive control). */
const DEVICE_WILL = { topic: 'devices/m/status', payload: Buffer.from('gone'), qos: 1 as const, retain: false }
const WILLS_PUBLISHED_MS = 15_000

const asConnectWill = (will: Will) => ({ topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain })

/** The CONNACK return code of a connection attempt (0 = accepted; the client is ended either way). */
function connackCode(url: string, token: string, options: IClientOptions): Promise<number> {
  const client = mqtt.connect(url, { username: 'u', password: token, reconnectPeriod: 0, connectTimeout: 5000, ...options })
  return new Promise((resolve) => {
    client.once('connect', () => client.endAsync(true).then(() => resolve(0)))
    client.once('error', (error) => {
      client.end(true)
      resolve((error as { code?: number }).code ?? -1)
    })
  })
}

/** A persistent session reconnecting: its listener is attached before CONNECT, so queued messages are not missed. */
function resume(url: string, token: string, clientId: string): Promise<TestClient> {
  const client = mqtt.connect(url, { username: 'u', password: token, clientId, clean: false, reconnectPeriod: 0, connectTimeout: 5000 })
  const wrapped = wrap(client)
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(wrapped))
    client.once('error', reject)
  })
}

const forgedIn = (client: TestClient) => JSON.stringify(client.received).includes(FORGED)

describe('forged wills of a dead node reach no one and are never retained', () => {
  const clients: TestClient[] = []
  const track = (client: TestClient) => {
    clients.push(client)
    return client
  }
  afterEach(async () => {
    for (const client of clients.splice(0)) client.client.end(true)
    await killAllNodes()
  })

  it('`mqchat dev` killed with -9 and restarted: the new node refuses the old node’s forged wills and publishes its generic one', async () => {
    const dir = await makeTempDir('mqchat-wills-')
    try {
      let node = await spawnNode(dir.path, HEARTBEAT)
      let rest = restClient(node.httpUrl)
      const [alice, bob, mallory] = [await rest.register('alice'), await rest.register('bob'), await rest.register('mallory')]
      const roomId = (await rest.createRoom(alice.token, 'general', [bob.id])).id
      const wills = forgedWills(roomId, alice.id, bob.id)
      // from a live connection, mallory (no member) gets each of them refused at CONNECT
      for (const will of wills) {
        expect(await connackCode(node.mqttUrl, mallory.token, { clientId: will.clientId, will: asConnectWill(will) }), will.topic).toBe(5)
      }
      // the targets' persistent sessions: what is published while they are away is queued for them
      const watches = [
        {
          user: alice,
          clientId: 'alice-watch',
          filters: [`rooms/${roomId}/messages`, `rooms/${roomId}/events`, `users/${alice.id}/inbox`, 'devices/#']
        },
        { user: bob, clientId: 'bob-watch', filters: [`presence/${alice.id}`, `users/${bob.id}/inbox`, `rooms/${roomId}/events`] }
      ]
      for (const { user, clientId, filters } of watches) {
        const watch = await connectClient(node.mqttUrl, user.token, { clientId, clean: false })
        await watch.client.subscribeAsync(filters, { qos: 1 })
        await watch.end()
      }
      // mallory's device is connected with a generic will when the node dies; a retained sentinel for later
      const device = track(await connectClient(node.mqttUrl, mallory.token, { clientId: 'mallory-device', will: DEVICE_WILL }))
      // (Aedes acknowledges a QoS 1 PUBLISH before it stores it: it is stored once it is delivered)
      await device.client.subscribeAsync('devices/sentinel', { qos: 1 })
      await device.client.publishAsync('devices/sentinel', 'here', { qos: 1, retain: true })
      await device.waitFor('devices/sentinel')
      await node.stop('SIGKILL')

      // the dead node's wills: its genuine one, and the forged ones planted beside it under its broker id
      const deadBroker = await withSessionLevel(
        dir.path,
        'reader',
        async (store) => (await store.getWill({ id: 'mallory-device' }))?.brokerId
      )
      expect(deadBroker).toEqual(expect.any(String))
      await withSessionLevel(dir.path, String(deadBroker), (store) => plantWills(store, wills))

      node = await spawnNode(dir.path, HEARTBEAT)
      rest = restClient(node.httpUrl)
      const aliceWatch = track(await resume(node.mqttUrl, alice.token, 'alice-watch'))
      const bobWatch = track(await resume(node.mqttUrl, bob.token, 'bob-watch'))
      // the restarted node publishes the dead node's wills (no client): the genuine generic one arrives
      expect(await aliceWatch.waitFor('devices/m/status', 1, WILLS_PUBLISHED_MS)).toEqual(['gone'])

      // a fresh subscriber: retained messages come in filter order, so the sentinel follows any forged one
      const fresh = track(await connectClient(node.mqttUrl, bob.token))
      await fresh.client.subscribeAsync([`rooms/${roomId}/messages`, `presence/${alice.id}`, 'devices/sentinel'], { qos: 1 })
      await fresh.waitFor('devices/sentinel')
      expect(fresh.on(`rooms/${roomId}/messages`)).toEqual([])
      // history: a real message is persisted, the forged one never was
      await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'real-after', body: 'hello' }, alice.token)
      const history = await eventually(
        () => fullHistory(rest, alice.token, roomId),
        (messages) => messages.some((m) => m.id === 'real-after')
      )
      expect(history.map((m) => m.id)).toEqual(['real-after'])

      for (const client of clients.splice(0)) await client.end()
      expect(await node.stop()).toEqual({ code: 0, signal: null })
      for (const watcher of [aliceWatch, bobWatch, fresh]) expect(forgedIn(watcher)).toBe(false)
      expect(aliceWatch.on(`rooms/${roomId}/events`)).toEqual([])
      expect(bobWatch.on(`users/${bob.id}/inbox`)).toEqual([])
      expect(bobWatch.on(`rooms/${roomId}/events`)).toEqual([])

      await withSessionLevel(dir.path, 'reader', async (store) => {
        // every will of the dead node was published or dropped, then deleted
        for (const { clientId } of [...wills, { clientId: 'mallory-device' }]) {
          expect(await store.getWill({ id: clientId }), clientId).toBeUndefined()
        }
        const retained = await retainedOf(store, ['rooms/#', 'users/#', 'presence/#'])
        expect(retained.filter((r) => !r.topic.startsWith('presence/'))).toEqual([])
        expect(JSON.stringify(retained)).not.toContain(FORGED)
      })
    } finally {
      await killAllNodes()
      await dir.remove()
    }
  }, 90_000)

  describe('cluster: a broker crashes with forged wills in the shared session store', () => {
    let redis: TestRedis
    let mongo: TestMongo

    beforeAll(async () => {
      redis = await startTestRedis()
      mongo = await startTestMongo()
    }, 60_000)
    afterAll(async () => {
      await killAllNodes()
      await mongo?.stop()
      await redis?.stop()
    })

    it('the other broker publishes the dead broker’s wills: the forged ones are refused, also one stored for a client connected to it', async () => {
      const tag = randomUUID().replaceAll('-', '').slice(0, 12)
      const env = {
        ...HEARTBEAT,
        REDIS_URL: redis.url,
        MONGODB_URL: mongo.url,
        MQCHAT_JWT_SECRET: 'forged-wills-secret-0123456789abcdef',
        MQCHAT_REDIS_PREFIX: `fw${tag}:`,
        MQCHAT_MONGODB_DATABASE: `fw_${tag}`
      }
      const [a, b, bridge] = await Promise.all([
        spawnMqchat('broker', { ...env, MQCHAT_NODE_ID: 'broker-a' }),
        spawnMqchat('broker', { ...env, MQCHAT_NODE_ID: 'broker-b' }),
        // the bridge is an Aedes node too and would race B for A's wills: it leaves them to B here
        spawnMqchat('bridge', { ...env, MQCHAT_NODE_ID: 'bridge-1', MQCHAT_BROKER_HEARTBEAT_MS: '3600000' })
      ])
      const urlA = `mqtt://127.0.0.1:${a.mqttPort}`
      const urlB = `mqtt://127.0.0.1:${b.mqttPort}`
      const rest = restClient(`http://127.0.0.1:${bridge.httpPort}`)
      const [alice, bob, mallory] = [await rest.register('alice'), await rest.register('bob'), await rest.register('mallory')]
      const roomId = (await rest.createRoom(alice.token, 'general', [bob.id])).id

      // the targets are connected to broker B, which stays up
      const aliceOnB = track(await connectClient(urlB, alice.token, { clientId: 'alice-b' }))
      await aliceOnB.client.subscribeAsync([`rooms/${roomId}/messages`, `rooms/${roomId}/events`, `users/${alice.id}/inbox`, 'devices/#'], {
        qos: 1
      })
      const bobOnB = track(await connectClient(urlB, bob.token, { clientId: 'bob-b' }))
      await bobOnB.client.subscribeAsync([`presence/${alice.id}`, `users/${bob.id}/inbox`, `rooms/${roomId}/events`, 'devices/#'], {
        qos: 1
      })
      // mallory's device on broker A leaves a genuine generic will; its key names A's broker id
      track(await connectClient(urlA, mallory.token, { clientId: 'mallory-device', will: DEVICE_WILL }))
      const sessions = redis.client()
      const deviceWill = (await sessions.lrange('will', 0, -1)).find((key) => key.endsWith(':mallory-device'))
      const brokerA = String(String(deviceWill).split(':')[1])
      expect(brokerA).toMatch(/^[0-9a-f-]{36}$/)
      // forged wills of A, one of them stored for alice's own client id: B publishes it with her live client
      const wills = [...forgedWills(roomId, alice.id, bob.id), ...forgedWills(roomId, alice.id, bob.id, () => 'alice-b').slice(0, 1)]
      await plantWills(await redisSessions(sessions, brokerA), wills)
      await a.stop('SIGKILL')

      // B publishes A's wills once A missed 3 heartbeats: the genuine one arrives, every one of A's leaves the store
      expect(await aliceOnB.waitFor('devices/m/status', 1, WILLS_PUBLISHED_MS)).toEqual(['gone'])
      await eventually(
        () => sessions.lrange('will', 0, -1),
        (keys) => !keys.some((key) => key.startsWith(`will:${brokerA}:`)),
        WILLS_PUBLISHED_MS
      )
      // a sentinel B publishes after them reaches the watchers after anything published before it
      await bobOnB.client.publishAsync('devices/sentinel', 'after', { qos: 1 })
      await Promise.all([aliceOnB.waitFor('devices/sentinel'), bobOnB.waitFor('devices/sentinel')])
      expect(new Set(aliceOnB.received.map((m) => m.topic))).toEqual(new Set(['devices/m/status', 'devices/sentinel']))
      expect(forgedIn(aliceOnB)).toBe(false)
      expect(forgedIn(bobOnB)).toBe(false)
      expect(bobOnB.on(`users/${bob.id}/inbox`)).toEqual([])
      expect(bobOnB.on(`rooms/${roomId}/events`)).toEqual([])

      // nothing forged retained: alice's presence is her real one
      const retained = await retainedOf(await redisSessions(sessions, 'reader'), [`rooms/${roomId}/messages`, `presence/${alice.id}`])
      expect(retained.map((r) => [r.topic, JSON.parse(r.payload).status])).toEqual([[`presence/${alice.id}`, 'online']])
      expect(JSON.stringify(retained)).not.toContain(FORGED)
      // history: a real message is persisted, the forged one never was
      await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'real-after', body: 'hello' }, alice.token)
      const history = await eventually(
        () => fullHistory(rest, alice.token, roomId),
        (messages) => messages.some((m) => m.id === 'real-after')
      )
      expect(history.map((m) => m.id)).toEqual(['real-after'])
    }, 90_000)
  })
})
