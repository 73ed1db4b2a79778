import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, subscribeCodes, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

describe('chat between users over MQTT (TCP and WebSocket)', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  let alice: { id: string; token: string }
  let bob: { id: string; token: string }
  let mallory: { id: string; token: string }
  let roomId: string
  const clients: TestClient[] = []

  beforeAll(async () => {
    node = await startTestNode()
    rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    bob = await rest.register('bob')
    mallory = await rest.register('mallory')
    roomId = (await rest.createRoom(alice.token, 'general', ['bob'])).id
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()))
    await node.destroy()
  })

  const connect = async (url: string, token: string) => {
    const client = await connectClient(url, token)
    clients.push(client)
    return client
  }

  it('delivers enriched, sequenced messages both ways between TCP and WebSocket clients', async () => {
    const tcp = await connect(node.mqttUrl, alice.token)
    const ws = await connect(node.wsUrl, bob.token)
    const topic = `rooms/${roomId}/messages`
    await tcp.client.subscribeAsync(topic, { qos: 1 })
    await ws.client.subscribeAsync(topic, { qos: 1 })

    await tcp.client.publishAsync(topic, JSON.stringify({ id: 'a-1', body: 'hi bob', from: 'bob', seq: 99 }), { qos: 1 })
    await ws.client.publishAsync(topic, JSON.stringify({ id: 'b-1', body: 'hi alice' }), { qos: 1 })

    const atBob = await ws.waitFor(topic, 2)
    const atAlice = await tcp.waitFor(topic, 2)
    expect(atBob).toEqual(atAlice)
    expect(atBob[0]).toMatchObject({ id: 'a-1', room: roomId, seq: 1, from: 'alice', body: 'hi bob', type: 'text' })
    expect(atBob[1]).toMatchObject({ id: 'b-1', room: roomId, seq: 2, from: 'bob', body: 'hi alice' })
    expect(typeof atBob[0].ts).toBe('number')

    const history = await eventually(
      () => rest.history(bob.token, roomId),
      (messages) => messages.length === 2
    )
    expect(history).toEqual([atBob[1], atBob[0]])
  })

  it('keeps a non-member out of the room but connected after a rejected send', async () => {
    const outsider = await connect(node.mqttUrl, mallory.token)
    const topic = `rooms/${roomId}/messages`
    expect(await subscribeCodes(outsider.client, [topic, `rooms/${roomId}/#`, `users/${alice.id}/inbox`])).toEqual([128, 128, 128])

    await outsider.client.subscribeAsync(`users/${mallory.id}/inbox`, { qos: 1 })
    await outsider.client.subscribeAsync('rooms/+/messages', { qos: 1 })
    await outsider.client.publishAsync(topic, JSON.stringify({ id: 'm-1', body: 'let me in' }), { qos: 1 })
    const [rejection] = await outsider.waitFor(`users/${mallory.id}/inbox`)
    expect(rejection).toEqual({ type: 'rejected', id: 'm-1', room: roomId, reason: 'unknown_room', message: expect.any(String) })
    expect(outsider.client.connected).toBe(true)

    const member = await connect(node.mqttUrl, alice.token)
    await member.client.publishAsync(topic, JSON.stringify({ id: 'a-2', body: 'members only' }), { qos: 1 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(outsider.on(topic)).toEqual([])
    const history = await rest.history(alice.token, roomId, '?limit=10')
    expect(history.map((m) => m.id)).not.toContain('m-1')
    expect(outsider.client.connected).toBe(true)
  })

  it('sends over REST through the same sequencer and fans out over MQTT', async () => {
    const listener = await connect(node.mqttUrl, bob.token)
    const topic = `rooms/${roomId}/messages`
    await listener.client.subscribeAsync(topic, { qos: 1 })
    const sent = await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'rest-1', body: 'from a service' }, alice.token)
    expect(sent.status).toBe(201)
    const [delivered] = await listener.waitFor(topic)
    expect(delivered).toEqual(sent.body)
    expect(delivered.seq).toBeGreaterThan(2)
    const again = await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'rest-1', body: 'from a service' }, alice.token)
    expect(again.status).toBe(200)
    expect(again.body).toEqual(sent.body)
  })
})
