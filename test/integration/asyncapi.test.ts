import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

type Payload = { name: string; payload: object }
type Channel = { address: string; messages: Record<string, Payload> }
type Operation = {
  action: 'send' | 'receive'
  channel: { $ref: string }
  messages: { $ref: string }[]
  bindings: { mqtt: { qos: number } }
}
type AsyncApi = { asyncapi: string; channels: Record<string, Channel>; operations: Record<string, Operation> }
interface Delivery {
  topic: string
  qos: number
  payload: unknown
}

describe('GET /v1/asyncapi.json matches what the broker really sends (issue 8, part 3)', () => {
  let node: TestNode
  let doc: AsyncApi
  const clients: TestClient[] = []
  const ajv = new Ajv2020({ strict: false, allErrors: true })

  /** The channel key whose address template matches a concrete topic. */
  const channelOf = (topic: string) =>
    Object.keys(doc.channels).find((key) =>
      new RegExp(`^${(doc.channels[key] as Channel).address.replace(/\{\w+\}/g, '[A-Za-z0-9_-]{1,64}')}$`).test(topic)
    )
  /** The operation of a channel, and the payload schemas of its messages (one of them must match). */
  const operationOf = (key: string, action: 'send' | 'receive') => {
    const operation = Object.values(doc.operations).find((op) => op.channel.$ref === `#/channels/${key}` && op.action === action)
    const names = (operation?.messages ?? []).map(({ $ref }) => $ref.split('/').at(-1) as string)
    return { operation, schema: { anyOf: names.map((name) => (doc.channels[key] as Channel).messages[name]?.payload as object) } }
  }

  beforeAll(async () => {
    node = await startTestNode()
    doc = (await (await fetch(`${node.httpUrl}/v1/asyncapi.json`)).json()) as AsyncApi
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
  })

  it('is an AsyncAPI 3 document whose operations point at its channels and messages', () => {
    expect(doc.asyncapi).toBe('3.0.0')
    for (const [id, operation] of Object.entries(doc.operations)) {
      const key = operation.channel.$ref.replace('#/channels/', '')
      expect(doc.channels[key], id).toBeDefined()
      for (const { $ref } of operation.messages)
        expect((doc.channels[key] as Channel).messages[$ref.split('/').at(-1) as string], $ref).toBeDefined()
      expect([0, 1, 2]).toContain(operation.bindings.mqtt.qos)
    }
    for (const channel of Object.values(doc.channels)) for (const message of Object.values(channel.messages)) ajv.compile(message.payload)
  })

  it('every payload on every topic validates against its channel, at the documented QoS', async () => {
    const rest = restClient(node.httpUrl)
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const carol = await rest.register('carol')
    const room = await rest.createRoom(alice.token, 'docs', ['bob'])
    const deliveries: Delivery[] = []
    const connect = async (token: string, topics: string[]) => {
      const client = await connectClient(node.mqttUrl, token)
      clients.push(client)
      client.client.on('message', (topic, payload, packet) =>
        deliveries.push({ topic, qos: packet.qos, payload: JSON.parse(payload.toString()) })
      )
      if (topics.length > 0) await client.client.subscribeAsync(topics, { qos: 1 })
      return client
    }
    const r = (channel: string) => `rooms/${room.id}/${channel}`
    const a = await connect(alice.token, [r('messages'), r('events'), r('typing'), r('receipts'), 'users/alice/inbox', 'presence/bob'])
    const c = await connect(carol.token, ['users/carol/inbox'])
    const b = await connect(bob.token, ['users/bob/inbox'])

    const sent = {
      message: { id: 'm1', body: 'hello @bob', meta: { k: 1 } },
      edit: { id: 'e1', type: 'edit', target: 1, body: 'hello again' },
      typing: { typing: true },
      receipt: { seq: 1, kind: 'read' }
    }
    const send = (client: TestClient, channel: string, payload: unknown) =>
      client.client.publishAsync(r(channel), JSON.stringify(payload), { qos: 1 })
    await send(a, 'messages', sent.message)
    await send(a, 'messages', sent.message) // duplicate notice
    await send(a, 'messages', sent.edit)
    await send(a, 'messages', { id: 'bad id!', body: 'x' }) // rejected notice
    await a.client.publishAsync(`rooms/${room.id}/other`, '{}', { qos: 1 }) // rejected invalid_topic
    await send(b, 'typing', sent.typing)
    await send(b, 'receipts', sent.receipt)
    expect((await rest.call('POST', `/v1/rooms/${room.id}/members`, { userId: 'carol' }, alice.token)).status).toBe(200)
    expect((await rest.call('DELETE', `/v1/rooms/${room.id}/members/carol`, undefined, alice.token)).status).toBe(204)

    const seen = () => new Set(deliveries.map((d) => channelOf(d.topic)))
    const typesSeen = () => deliveries.map((d) => (d.payload as { type?: string }).type)
    const notices = ['duplicate', 'rejected', 'invited', 'removed', 'read', 'mention', 'member_added', 'member_removed']
    await eventually(
      async () => deliveries.length,
      () => seen().size === Object.keys(doc.channels).length && notices.every((type) => typesSeen().includes(type))
    )
    for (const delivery of deliveries) {
      const key = channelOf(delivery.topic)
      expect(key, `${delivery.topic} is a documented channel`).toBeDefined()
      const { operation, schema } = operationOf(key as string, 'receive')
      const validate = ajv.compile(schema)
      expect(
        validate(delivery.payload),
        `${delivery.topic}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(delivery.payload)}`
      ).toBe(true)
      expect(delivery.qos, `QoS on ${delivery.topic}`).toBe(operation?.bindings.mqtt.qos)
    }
    expect(deliveries.filter((d) => d.topic === r('messages')).map((d) => (d.payload as { type: string }).type)).toEqual(['text', 'edit'])
    expect(typesSeen()).toEqual(expect.arrayContaining(notices))
    expect(c.received.length).toBeGreaterThanOrEqual(2)

    // what was published is what the send operations document; a refused message is not
    const accepts = (channel: string, payload: unknown) => ajv.compile(operationOf(channelOf(r(channel)) as string, 'send').schema)(payload)
    expect(accepts('messages', sent.message)).toBe(true)
    expect(accepts('messages', sent.edit)).toBe(true)
    expect(accepts('typing', sent.typing)).toBe(true)
    expect(accepts('receipts', sent.receipt)).toBe(true)
    expect(accepts('messages', { id: 'bad id!', body: 'x' })).toBe(false)
    expect(operationOf(channelOf(r('events')) as string, 'send').operation).toBeUndefined()
  })
})
