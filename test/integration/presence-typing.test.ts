import mqtt, { type IClientOptions } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, subscribeCodes, type TestClient, wrap } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

type User = { id: string; token: string }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const presenceOf = (userId: string) => `presence/${userId}`

describe('presence and typing', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  let alice: User
  let bob: User
  let carol: User
  let mallory: User
  let roomId: string
  const clients: TestClient[] = []
  /** QoS and RETAIN of every PUBLISH each client received, in arrival order. */
  const flagsSeen = new Map<TestClient, { topic: string; qos: number; retain: boolean }[]>()

  beforeAll(async () => {
    node = await startTestNode()
    rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    bob = await rest.register('bob')
    carol = await rest.register('carol')
    mallory = await rest.register('mallory')
    roomId = (await rest.createRoom(alice.token, 'general', [bob.id, carol.id])).id
    // presence reaches only users who share a room: alice watches mallory's as a marker below
    await rest.createRoom(alice.token, 'side', [mallory.id])
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
  })

  const track = (client: TestClient) => {
    const seen: { topic: string; qos: number; retain: boolean }[] = []
    client.client.on('message', (topic, _payload, packet) => seen.push({ topic, qos: packet.qos, retain: packet.retain }))
    flagsSeen.set(client, seen)
    clients.push(client)
    return client
  }
  const connect = async (token: string, options: IClientOptions = {}) => track(await connectClient(node.mqttUrl, token, options))
  /** Listens before CONNACK so messages queued for a persistent session are not missed. */
  const connectPersistent = async (token: string, clientId: string) => {
    const client = track(wrap(mqtt.connect(node.mqttUrl, { username: 'u', password: token, clientId, clean: false, reconnectPeriod: 0 })))
    await new Promise<void>((resolve, reject) => {
      client.client.once('connect', () => resolve())
      client.client.once('error', reject)
    })
    return client
  }
  /** A fresh subscriber's view of the retained presence of a user. */
  const retainedPresence = async (userId: string) => {
    const probe = await connect(alice.token)
    await probe.client.subscribeAsync(presenceOf(userId), { qos: 1 })
    const [state] = await probe.waitFor(presenceOf(userId))
    expect(flagsSeen.get(probe)).toEqual([{ topic: presenceOf(userId), qos: 1, retain: true }])
    await probe.end()
    return state
  }

  describe('presence/{userId}', () => {
    let watcher: TestClient

    beforeAll(async () => {
      watcher = await connect(alice.token)
      await watcher.client.subscribeAsync([presenceOf(carol.id), presenceOf(mallory.id)], { qos: 1 })
    })

    it('is online while any device is connected and offline after the last one leaves', async () => {
      const phone = await connect(carol.token, { clientId: 'carol-phone' })
      const [online] = await watcher.waitFor(presenceOf(carol.id))
      expect(online).toEqual({ status: 'online', ts: expect.any(Number) })
      expect(flagsSeen.get(watcher)).toEqual([{ topic: presenceOf(carol.id), qos: 1, retain: false }])

      const laptop = await connect(carol.token, { clientId: 'carol-laptop' })
      await phone.end()
      // the retained state a late subscriber gets is the positive control: still online
      expect(await retainedPresence(carol.id)).toEqual(online)
      await sleep(300)
      expect(watcher.on(presenceOf(carol.id))).toEqual([online])

      await laptop.end()
      const [, offline] = await watcher.waitFor(presenceOf(carol.id), 2)
      expect(offline).toEqual({ status: 'offline', ts: expect.any(Number) })
      expect(offline.ts).toBeGreaterThanOrEqual(online.ts)
      expect(await retainedPresence(carol.id)).toEqual(offline)
    })

    it('goes offline when the last connection drops without DISCONNECT', async () => {
      const before = watcher.on(presenceOf(carol.id)).length
      const phone = await connect(carol.token, { clientId: 'carol-phone' })
      await watcher.waitFor(presenceOf(carol.id), before + 1)
      phone.client.stream.destroy()
      const states = await watcher.waitFor(presenceOf(carol.id), before + 2)
      expect(states.slice(before).map((s) => s.status)).toEqual(['online', 'offline'])
      expect(await retainedPresence(carol.id)).toEqual(states.at(-1))

      const tablet = await connect(carol.token, { clientId: 'carol-tablet' })
      await watcher.waitFor(presenceOf(carol.id), before + 3)
      tablet.client.end(true)
      const after = await watcher.waitFor(presenceOf(carol.id), before + 4)
      expect(after.slice(before + 2).map((s) => s.status)).toEqual(['online', 'offline'])
    })

    it('gives a late subscriber the retained current state', async () => {
      const device = await connect(bob.token)
      const late = await connect(alice.token)
      await late.client.subscribeAsync(presenceOf(bob.id), { qos: 1 })
      const [state] = await late.waitFor(presenceOf(bob.id))
      expect(state).toEqual({ status: 'online', ts: expect.any(Number) })
      await device.end()
    })

    it('drops client publishes to presence/… and leaves the retained state unchanged', async () => {
      const seenEarlier = watcher.on(presenceOf(carol.id)).length
      const device = await connect(carol.token)
      const online = (await watcher.waitFor(presenceOf(carol.id), seenEarlier + 1)).at(-1)
      expect(online.status).toBe('online')
      const seenBefore = watcher.on(presenceOf(carol.id)).length

      const forged = JSON.stringify({ status: 'offline', ts: 1 })
      await device.client.publishAsync(presenceOf(carol.id), forged, { qos: 1, retain: true })
      const forger = await connect(mallory.token)
      // live delivery follows the retained store, so from here on mallory's retained state is online
      const [malloryOnline] = await watcher.waitFor(presenceOf(mallory.id))
      await forger.client.publishAsync(presenceOf(carol.id), forged, { qos: 1, retain: true })
      await forger.client.publishAsync(presenceOf(mallory.id), forged, { qos: 1, retain: true })

      expect(await retainedPresence(carol.id)).toEqual(online)
      expect(await retainedPresence(mallory.id)).toEqual(malloryOnline)
      await sleep(300)
      expect(watcher.on(presenceOf(carol.id))).toHaveLength(seenBefore)
      expect(watcher.on(presenceOf(mallory.id))).toEqual([malloryOnline])
      expect(device.client.connected).toBe(true)
      expect(forger.client.connected).toBe(true)
      await device.end()
      await forger.end()
    })
  })

  describe('rooms/{id}/typing', () => {
    const typing = () => `rooms/${roomId}/typing`
    const messages = () => `rooms/${roomId}/messages`

    it('relays a member’s typing to the other members at QoS 0 with a server-forced from', async () => {
      const sender = await connect(alice.token)
      const receiver = await connect(bob.token)
      await receiver.client.subscribeAsync(typing(), { qos: 1 })

      await sender.client.publishAsync(typing(), JSON.stringify({ typing: true, from: mallory.id, ts: 1 }), { qos: 0 })
      const [signal] = await receiver.waitFor(typing())
      expect(signal).toEqual({ typing: true, room: roomId, from: alice.id, ts: expect.any(Number) })
      expect(signal.ts).toBeGreaterThan(1)
      expect(flagsSeen.get(receiver)).toEqual([{ topic: typing(), qos: 0, retain: false }])
    })

    it('keeps non-members from subscribing to or publishing typing', async () => {
      const outsider = await connect(mallory.token)
      expect(await subscribeCodes(outsider.client, [typing()])).toEqual([128])
      const member = await connect(carol.token)
      await member.client.subscribeAsync(typing(), { qos: 0 })

      await outsider.client.publishAsync(typing(), JSON.stringify({ typing: true }), { qos: 1 })
      const other = await connect(bob.token)
      await other.client.publishAsync(typing(), JSON.stringify({ typing: false }), { qos: 1 })
      const [control] = await member.waitFor(typing())
      expect(control).toMatchObject({ typing: false, from: bob.id })
      await sleep(300)
      expect(member.on(typing())).toEqual([control])
      expect(outsider.client.connected).toBe(true)
    })

    it('never stores typing and never queues it for an offline persistent session', async () => {
      const historyBefore = await rest.history(alice.token, roomId)
      const offline = await connectPersistent(bob.token, 'bob-persistent')
      await offline.client.subscribeAsync([typing(), messages()], { qos: 1 })
      await offline.end()

      const sender = await connect(alice.token)
      await sender.client.publishAsync(typing(), JSON.stringify({ typing: true }), { qos: 1 })
      await sender.client.publishAsync(messages(), JSON.stringify({ id: 'while-away', body: 'you were away' }), { qos: 1 })

      const back = await connectPersistent(bob.token, 'bob-persistent')
      const [queued] = await back.waitFor(messages())
      expect(queued).toMatchObject({ id: 'while-away', from: alice.id, room: roomId })
      await sleep(300)
      expect(back.on(typing())).toEqual([])

      const history = await eventually(
        () => rest.history(alice.token, roomId),
        (list) => list.length === historyBefore.length + 1
      )
      expect(history.map((m) => m.id)).toEqual(['while-away', ...historyBefore.map((m) => m.id)])
    })
  })
})
