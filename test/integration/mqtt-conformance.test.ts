import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { RawMqttClient, type RawPacket } from '../helpers/raw-mqtt.js'

type Publish = Extract<RawPacket, { type: 'publish' }>

/**
 * MQTT 3.1.1 rules on generic topics, spoken over raw sockets with a codec of our own
 * (test/helpers/raw-mqtt-codec.ts), against a dev node with generic topics and anonymous access.
 */
describe('MQTT 3.1.1 conformance on generic topics (raw sockets)', () => {
  let node: TestNode
  const open: RawMqttClient[] = []

  const connect = async (clientId: string, clean: boolean) => {
    const { client, connack } = await RawMqttClient.connect(node.mqttPort, { clientId, clean })
    open.push(client)
    return { client, connack }
  }

  /** Publishes at QoS 1 and waits for the PUBACK. */
  const publish1 = async (client: RawMqttClient, topic: string, payload: string, messageId: number) => {
    const puback = client.nextAck('puback', messageId)
    client.publish({ topic, payload, qos: 1, messageId })
    await puback
  }

  /** Publishes at QoS 2 and completes the sender's side: PUBREC, PUBREL, PUBCOMP. */
  const publish2 = async (client: RawMqttClient, topic: string, payload: string, messageId: number) => {
    const pubrec = client.nextAck('pubrec', messageId)
    client.publish({ topic, payload, qos: 2, messageId })
    await pubrec
    const pubcomp = client.nextAck('pubcomp', messageId)
    client.ack('pubrel', messageId)
    await pubcomp
  }

  const summary = (p: Publish) => ({ topic: p.topic, payload: p.payload.toString(), qos: p.qos, dup: p.dup })

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_GENERIC_TOPICS: 'true', MQCHAT_ALLOW_ANONYMOUS: 'true' })
  })
  afterAll(async () => {
    await Promise.all(open.filter((c) => c.isOpen).map((c) => c.drop()))
    await node.destroy()
  })

  describe('[MQTT-4.7.2-1] topics starting with $', () => {
    it('acknowledges a QoS 1 publish to $TopicA/B and delivers it to an exact subscriber, never to + or #', async () => {
      const { client: hash } = await connect('dollar-hash', true)
      const { client: plus } = await connect('dollar-plus', true)
      const { client: exact } = await connect('dollar-exact', true)
      expect(await hash.subscribe(1, [{ topic: '#', qos: 1 }])).toEqual([1])
      expect(await plus.subscribe(1, [{ topic: '+/+', qos: 1 }])).toEqual([1])
      expect(
        await exact.subscribe(1, [
          { topic: '$TopicA/B', qos: 1 },
          { topic: 'TopicA/B', qos: 1 }
        ])
      ).toEqual([1, 1])

      const { client: publisher } = await connect('dollar-publisher', true)
      await publish1(publisher, '$TopicA/B', 'dollar', 7)
      // a control message after it: once it has arrived, the $ message would have too
      await publish1(publisher, 'TopicA/B', 'control', 8)

      const exactFirst = await exact.next((p) => p.type === 'publish')
      expect(summary(exactFirst as Publish)).toEqual({ topic: '$TopicA/B', payload: 'dollar', qos: 1, dup: false })
      for (const wildcard of [hash, plus]) {
        const first = (await wildcard.next((p) => p.type === 'publish')) as Publish
        expect(summary(first)).toEqual({ topic: 'TopicA/B', payload: 'control', qos: 1, dup: false })
      }
      expect(publisher.isOpen).toBe(true)
    })

    it('still closes the connection of a client that writes to $SYS/...', async () => {
      const { client } = await connect('dollar-sys-writer', true)
      client.publish({ topic: '$SYS/broker/uptime', payload: 'forged', qos: 1, messageId: 3 })
      await client.closed
      expect(client.received.filter((p) => p.type === 'puback')).toEqual([])
    })
  })

  describe('persistent sessions (clean session 0)', () => {
    it('queues QoS 1 and 2 messages while offline and completes the QoS 2 exchange on reconnect', async () => {
      const first = await connect('offline-queue', false)
      expect(await first.client.subscribe(1, [{ topic: 'TopicA/+', qos: 2 }])).toEqual([2])
      await first.client.disconnect()

      const { client: publisher } = await connect('offline-queue-publisher', true)
      publisher.publish({ topic: 'TopicA/B', payload: 'qos 0', qos: 0 })
      await publish1(publisher, 'TopicA/C', 'qos 1', 1)
      await publish2(publisher, 'TopicA/D', 'qos 2', 2)

      // [MQTT-3.2.2-2] the session is still there
      const { client, connack } = await connect('offline-queue', false)
      expect(connack).toEqual({ type: 'connack', sessionPresent: true, returnCode: 0 })
      const qos1 = await client.nextPublish('TopicA/C')
      const qos2 = await client.nextPublish('TopicA/D')
      expect(summary(qos1)).toMatchObject({ payload: 'qos 1', qos: 1 })
      expect(summary(qos2)).toMatchObject({ payload: 'qos 2', qos: 2 })

      client.ack('puback', qos1.messageId as number)
      const pubrel = client.nextAck('pubrel', qos2.messageId as number)
      client.ack('pubrec', qos2.messageId as number)
      await pubrel
      client.ack('pubcomp', qos2.messageId as number)
      await client.ping()
      await client.disconnect()

      // everything was acknowledged: a later reconnect gets nothing again
      const { client: again, connack: again2 } = await connect('offline-queue', false)
      expect(again2).toMatchObject({ sessionPresent: true })
      await again.ping()
      expect(again.received.filter((p) => p.type === 'publish' || p.type === 'pubrel')).toEqual([])
      await again.disconnect()
    })

    it('[MQTT-4.4.0-1] resends unacknowledged QoS 1 and 2 deliveries on reconnect with DUP set and their packet ids', async () => {
      const first = await connect('redelivery', false)
      expect(await first.client.subscribe(1, [{ topic: 'TopicB/+', qos: 2 }])).toEqual([2])
      const { client: publisher } = await connect('redelivery-publisher', true)
      await publish1(publisher, 'TopicB/one', 'qos 1', 1)
      await publish2(publisher, 'TopicB/two', 'qos 2', 2)

      const live1 = await first.client.nextPublish('TopicB/one')
      const live2 = await first.client.nextPublish('TopicB/two')
      expect([live1.dup, live2.dup]).toEqual([false, false])
      // nothing acknowledged; the connection drops
      await first.client.drop()

      const { client, connack } = await connect('redelivery', false)
      expect(connack).toMatchObject({ sessionPresent: true })
      const again1 = await client.nextPublish('TopicB/one')
      const again2 = await client.nextPublish('TopicB/two')
      expect(summary(again1)).toEqual({ topic: 'TopicB/one', payload: 'qos 1', qos: 1, dup: true })
      expect(summary(again2)).toEqual({ topic: 'TopicB/two', payload: 'qos 2', qos: 2, dup: true })
      expect([again1.messageId, again2.messageId]).toEqual([live1.messageId, live2.messageId])

      // QoS 2 half done (PUBREC sent, PUBREL received, no PUBCOMP): the PUBREL is resent
      client.ack('puback', again1.messageId as number)
      const pubrel = client.nextAck('pubrel', again2.messageId as number)
      client.ack('pubrec', again2.messageId as number)
      await pubrel
      await client.drop()

      const { client: third } = await connect('redelivery', false)
      expect(await third.nextAck('pubrel', again2.messageId as number)).toEqual({ type: 'pubrel', messageId: again2.messageId })
      third.ack('pubcomp', again2.messageId as number)
      await third.ping()
      expect(third.received.filter((p) => p.type === 'publish')).toEqual([])
      await third.disconnect()
    })
  })
})
