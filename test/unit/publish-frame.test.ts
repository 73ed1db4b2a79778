import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { PublishFrame } from '../../broker/aedes/encode-once.js'

/** What mqtt-packet (Aedes's encoder) writes for the same QoS 1 PUBLISH. */
const reference = (topic: string, payload: Buffer, messageId: number) =>
  mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, dup: false, retain: false, messageId })

describe('PublishFrame: one encoding of a chat publish, a packet id per delivery', () => {
  // remaining lengths of 1, 2 and 3 bytes (boundaries 127 and 16,383), and a topic with multi-byte characters
  it.each([
    ['rooms/r1/messages', 0],
    ['rooms/r1/messages', 100],
    ['rooms/r1/messages', 102],
    ['rooms/r1/messages', 103],
    ['rooms/r1/messages', 16_360],
    ['rooms/r1/messages', 16_361],
    ['rooms/é🙂/messages', 70_000]
  ])('topic %s, %i payload bytes: byte for byte what mqtt-packet writes', (topic, size) => {
    const payload = Buffer.alloc(size, 'x')
    const frame = new PublishFrame(topic, payload)
    for (const messageId of [1, 255, 256, 4660, 65535]) {
      expect(frame.withId(messageId).equals(reference(topic, payload, messageId))).toBe(true)
    }
  })

  it('hands each delivery its own copy: a later id does not change an earlier buffer', () => {
    const frame = new PublishFrame('rooms/r1/messages', Buffer.from('{"seq":1}'))
    const first = frame.withId(7)
    const second = frame.withId(8)
    expect(first).not.toBe(second)
    expect(first.equals(reference('rooms/r1/messages', Buffer.from('{"seq":1}'), 7))).toBe(true)
    expect(second.equals(reference('rooms/r1/messages', Buffer.from('{"seq":1}'), 8))).toBe(true)
  })
})
