import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { RawMqttClient, type RawPacket } from '../helpers/raw-mqtt.js'
import { restClient } from '../helpers/rest.js'

type Publish = Extract<RawPacket, { type: 'publish' }>

/**
 * A chat message is encoded once and written to every subscriber with its own packet id
 * (broker/aedes/encode-once.ts). Checked on the wire with our own codec, not mqtt-packet.
 */
describe('chat fan-out from one encoding, over real sockets', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  const clients: RawMqttClient[] = []
  let users: { id: string; token: string }[]
  let outsider: { id: string; token: string }
  let roomId: string
  let topic: string

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_RATE_LIMIT_PER_SECOND: '0' })
    rest = restClient(node.httpUrl)
    users = []
    for (const name of ['ann', 'ben', 'cid']) users.push(await rest.register(name))
    outsider = await rest.register('oscar')
    roomId = (await rest.createRoom(users[0]!.token, 'fan', ['ben', 'cid'])).id
    topic = `rooms/${roomId}/messages`
  })
  afterAll(async () => {
    await Promise.all(clients.filter((c) => c.isOpen).map((c) => c.disconnect()))
    await node.destroy()
  })

  const connect = async (token: string, clientId: string, clean = true) => {
    const { client, connack } = await RawMqttClient.connect(node.mqttPort, { clientId, clean, username: 'u', password: token })
    expect(connack).toMatchObject({ type: 'connack', returnCode: 0 })
    clients.push(client)
    return client
  }
  const send = async (token: string, id: string) => {
    const response = await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id, body: `body of ${id}` }, token)
    expect(response.status).toBe(201)
    return response.body.seq as number
  }

  it('gives every subscriber the same bytes with its own valid packet id, QoS 1, DUP 0', async () => {
    const subscribers = await Promise.all(users.map((u, i) => connect(u.token, `sub-${i}`)))
    for (const s of subscribers) expect(await s.subscribe(1, [{ topic, qos: 1 }])).toEqual([1])
    // a non-member's wildcard subscription is granted but never receives the room (ACL per recipient)
    const stranger = await connect(outsider.token, 'stranger')
    expect(await stranger.subscribe(1, [{ topic: 'rooms/+/messages', qos: 1 }])).toEqual([1])

    const seqs = [await send(users[0]!.token, 'f-1'), await send(users[1]!.token, 'f-2'), await send(users[2]!.token, 'f-3')]
    const received: Publish[][] = []
    for (const s of subscribers) {
      const three = [await s.nextPublish(topic), await s.nextPublish(topic), await s.nextPublish(topic)]
      received.push(three)
      for (const p of three) {
        expect({ qos: p.qos, dup: p.dup, retain: p.retain }).toEqual({ qos: 1, dup: false, retain: false })
        expect(p.messageId).toBeGreaterThanOrEqual(1)
        expect(p.messageId).toBeLessThanOrEqual(65535)
      }
      // ids distinct within a connection while unacknowledged
      expect(new Set(three.map((p) => p.messageId)).size).toBe(3)
      expect(three.map((p) => JSON.parse(p.payload.toString()).seq)).toEqual(seqs)
      for (const p of three) s.ack('puback', p.messageId as number)
    }
    // the payload bytes are the same for everyone; only the packet id differs
    for (let m = 0; m < 3; m++) {
      const payloads = received.map((three) => three[m]!.payload.toString('hex'))
      expect(new Set(payloads).size).toBe(1)
    }
    expect(JSON.parse(received[0]![0]!.payload.toString())).toMatchObject({
      id: 'f-1',
      room: roomId,
      from: users[0]!.id,
      body: 'body of f-1'
    })
    await stranger.ping()
    expect(stranger.received.filter((p) => p.type === 'publish')).toEqual([])
    await Promise.all([...subscribers, stranger].map((c) => c.disconnect()))
  })

  it('delivers once to a session subscribed to the room twice (exact filter and wildcard)', async () => {
    const ann = await connect(users[0]!.token, 'twice')
    expect(await ann.subscribe(1, [{ topic, qos: 1 }])).toEqual([1])
    expect(await ann.subscribe(2, [{ topic: 'rooms/+/messages', qos: 1 }])).toEqual([1])
    const seq = await send(users[1]!.token, 'once-1')
    const first = await ann.nextPublish(topic)
    expect(JSON.parse(first.payload.toString()).seq).toBe(seq)
    ann.ack('puback', first.messageId as number)
    const next = await send(users[1]!.token, 'once-2')
    const second = await ann.nextPublish(topic)
    expect(JSON.parse(second.payload.toString()).seq).toBe(next)
    await ann.ping()
    expect(ann.received.filter((p) => p.type === 'publish')).toEqual([])
    await ann.disconnect()
  })

  it('takes PUBACKs batched in one write with other packets, and one split over two writes', async () => {
    const cid = users[2]!
    const tablet = await connect(cid.token, 'cid-tablet', false)
    expect(await tablet.subscribe(1, [{ topic, qos: 1 }])).toEqual([1])
    const seqs = [await send(users[0]!.token, 'b-1'), await send(users[0]!.token, 'b-2'), await send(users[0]!.token, 'b-3')]
    const got = [await tablet.nextPublish(topic), await tablet.nextPublish(topic), await tablet.nextPublish(topic)]
    expect(got.map((p) => JSON.parse(p.payload.toString()).seq)).toEqual(seqs)
    const puback = (p: Publish) => Buffer.from([0x40, 0x02, (p.messageId as number) >> 8, (p.messageId as number) & 0xff])
    // two acks and a PINGREQ in one write, then the third ack split in two
    const pong = tablet.next((p) => p.type === 'pingresp')
    tablet.writeRaw(Buffer.concat([puback(got[0]!), puback(got[1]!), Buffer.from([0xc0, 0x00])]))
    await pong
    const third = puback(got[2]!)
    tablet.writeRaw(third.subarray(0, 1))
    await new Promise((resolve) => setTimeout(resolve, 50))
    tablet.writeRaw(third.subarray(1))
    await tablet.ping()
    // the session's cursor moved past all three: nothing is replayed after a reconnect
    await new Promise((resolve) => setTimeout(resolve, 100))
    await tablet.disconnect()
    const back = await connect(cid.token, 'cid-tablet', false)
    const next = await send(users[0]!.token, 'b-4')
    const live = await back.nextPublish(topic)
    expect(JSON.parse(live.payload.toString()).seq).toBe(next)
    await back.ping()
    expect(back.received.filter((p) => p.type === 'publish')).toEqual([])
    await back.disconnect()
  })

  it('a subscription granted at QoS 0 gets the message at QoS 0 with no packet id', async () => {
    const ben = await connect(users[1]!.token, 'qos0')
    expect(await ben.subscribe(1, [{ topic, qos: 0 }])).toEqual([0])
    const seq = await send(users[0]!.token, 'q0-1')
    const p = await ben.nextPublish(topic)
    expect({ qos: p.qos, messageId: p.messageId, seq: JSON.parse(p.payload.toString()).seq }).toEqual({ qos: 0, messageId: undefined, seq })
    await ben.disconnect()
  })

  it('a persistent session gets live messages with distinct ids, and what it did not acknowledge again after reconnecting', async () => {
    const cid = users[2]!
    const phone = await connect(cid.token, 'cid-phone', false)
    expect(await phone.subscribe(1, [{ topic, qos: 1 }])).toEqual([1])
    const acked = await send(users[0]!.token, 'p-1')
    const unacked = await send(users[0]!.token, 'p-2')
    const live = [await phone.nextPublish(topic), await phone.nextPublish(topic)]
    expect(live.map((p) => JSON.parse(p.payload.toString()).seq)).toEqual([acked, unacked])
    expect(live[0]!.messageId).not.toBe(live[1]!.messageId)
    phone.ack('puback', live[0]!.messageId as number)
    await phone.ping()
    await phone.disconnect()

    const back = await connect(cid.token, 'cid-phone', false)
    const again = await back.nextPublish(topic)
    expect({ seq: JSON.parse(again.payload.toString()).seq, qos: again.qos }).toEqual({ seq: unacked, qos: 1 })
    expect(again.messageId).toBeGreaterThanOrEqual(1)
    back.ack('puback', again.messageId as number)
    const after = await send(users[0]!.token, 'p-3')
    const next = await back.nextPublish(topic)
    expect(JSON.parse(next.payload.toString()).seq).toBe(after)
    expect(next.messageId).not.toBe(again.messageId)
    await back.ping()
    expect(back.received.filter((p) => p.type === 'publish')).toEqual([])
    await back.disconnect()
  })
})
