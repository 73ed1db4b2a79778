import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { RawMqttClient } from '../helpers/raw-mqtt.js'

/**
 * A clean CONNECT of a client id that never kept state skips Aedes's wipes (broker/aedes/clean-sessions.ts);
 * [MQTT-3.1.2-6] must still hold for every id that did keep something: a persistent session, or an
 * inbound QoS 2 message of a clean one.
 */
describe('clean sessions: wipes skipped only for ids that never kept state', () => {
  let node: TestNode
  const open: RawMqttClient[] = []

  const connect = async (clientId: string, clean: boolean) => {
    const { client, connack } = await RawMqttClient.connect(node.mqttPort, { clientId, clean })
    open.push(client)
    return { client, connack }
  }

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_GENERIC_TOPICS: 'true', MQCHAT_ALLOW_ANONYMOUS: 'true' })
  })
  afterAll(async () => {
    await Promise.all(open.filter((c) => c.isOpen).map((c) => c.drop()))
    await node.destroy()
  })

  it('[MQTT-3.1.2-6] a clean CONNECT of an id that had a persistent session discards it', async () => {
    const persistent = await connect('wipe-after-session', false)
    expect(await persistent.client.subscribe(1, [{ topic: 'Wipe/+', qos: 1 }])).toEqual([1])
    await persistent.client.disconnect()

    const clean = await connect('wipe-after-session', true)
    expect(clean.connack).toEqual({ type: 'connack', sessionPresent: false, returnCode: 0 })
    await clean.client.disconnect()

    const { client: publisher } = await connect('wipe-publisher', true)
    const puback = publisher.nextAck('puback', 1)
    publisher.publish({ topic: 'Wipe/A', payload: 'after the wipe', qos: 1, messageId: 1 })
    await puback

    // the subscription went with the wiped session: nothing was queued for it
    const back = await connect('wipe-after-session', false)
    expect(back.connack).toMatchObject({ sessionPresent: false })
    await back.client.ping()
    expect(back.client.received.filter((p) => p.type === 'publish')).toEqual([])
    await back.client.disconnect()
  })

  it('an inbound QoS 2 message of a clean session that never kept state is not released to the next connection of its id', async () => {
    const { client: subscriber } = await connect('qos2-watcher', true)
    expect(await subscriber.subscribe(1, [{ topic: 'Held/+', qos: 1 }])).toEqual([1])

    const first = await connect('qos2-clean', true)
    const pubrec = first.client.nextAck('pubrec', 7)
    first.client.publish({ topic: 'Held/A', payload: 'first', qos: 2, messageId: 7 })
    await pubrec
    // [MQTT-4.3.3-2] method B: delivered onwards at PUBREC time, once
    const delivered = await subscriber.nextPublish('Held/A')
    expect(delivered.payload.toString()).toBe('first')
    await first.client.drop()

    // the same id comes back clean: its stored QoS 2 state belongs to the ended session
    const second = await connect('qos2-clean', true)
    expect(second.connack).toMatchObject({ sessionPresent: false })
    const again = second.client.nextAck('pubrec', 7)
    second.client.publish({ topic: 'Held/A', payload: 'second', qos: 2, messageId: 7 })
    await again
    const next = await subscriber.nextPublish('Held/A')
    // a new message under a reused packet id, not a duplicate of the wiped one
    expect(next.payload.toString()).toBe('second')
    const pubcomp = second.client.nextAck('pubcomp', 7)
    second.client.ack('pubrel', 7)
    await pubcomp
    await subscriber.ping()
    // consumed above: nothing else reached the subscriber
    expect(subscriber.received.filter((p) => p.type === 'publish')).toEqual([])
    await second.client.disconnect()
    await subscriber.disconnect()
  })
})
