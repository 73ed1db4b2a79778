import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import { publishPacket } from './client-internals.js'

/**
 * A QoS 1 PUBLISH (MQTT 3.1/3.1.1) encoded once for every subscriber: fixed header, topic, a
 * packet id of 0 and the payload. A delivery copies it and sets the 2 id bytes, so fanning out
 * one message does no per-subscriber topic or length work and is one write per socket.
 */
export class PublishFrame {
  private bytes: Buffer | null = null
  private idAt = 0

  constructor(
    private readonly topic: string,
    private readonly payload: Buffer
  ) {}

  /** The packet's bytes with `messageId` (1..65535) in place. */
  withId(messageId: number): Buffer {
    const template = this.bytes ?? this.encode()
    const out = Buffer.allocUnsafe(template.length)
    template.copy(out)
    out[this.idAt] = messageId >> 8
    out[this.idAt + 1] = messageId & 0xff
    return out
  }

  private encode(): Buffer {
    const topicLength = Buffer.byteLength(this.topic)
    const remaining = 2 + topicLength + 2 + this.payload.length
    const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4
    const out = Buffer.alloc(1 + lengthBytes + remaining)
    // PUBLISH, QoS 1, DUP 0, RETAIN 0
    out[0] = 0x32
    let at = 1
    let left = remaining
    do {
      const digit = left % 128
      left = Math.floor(left / 128)
      out[at++] = left > 0 ? digit | 0x80 : digit
    } while (left > 0)
    out.writeUInt16BE(topicLength, at)
    at += 2 + out.write(this.topic, at + 2, 'utf8')
    this.idAt = at
    this.payload.copy(out, at + 2)
    this.bytes = out
    return out
  }
}

/**
 * Keyed by the payload: Aedes copies the packet for each subscription (lib/handlers/subscribe.js
 * handlePacketSubscription) but every copy keeps the same payload Buffer.
 */
const frames = new WeakMap<Buffer, PublishFrame>()

/** A chat publish for the local emitter whose deliveries to clean sessions are written from one frame. */
export function framedPublish(aedes: Aedes, topic: string, payload: Buffer): AedesPublishPacket {
  frames.set(payload, new PublishFrame(topic, payload))
  return publishPacket(aedes, topic, payload, 1)
}

type Deliver = (packet: AedesPublishPacket, done: () => void) => void

/** What Aedes 1.2's Client keeps on the instance for its QoS 1 delivery step (lib/client.js). */
interface DeliveringClient {
  id: string
  clean: boolean
  version: number | null
  closed: boolean
  connected: boolean
  errored: boolean
  conn: { write(chunk: Buffer): boolean }
  _nextId: number
  duplicates: Record<string, number>
  subscriptions: Record<string, { qos?: number } | undefined>
  deliverQoS: Deliver
  waitForDrain(callback: () => void): void
  broker: { authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null | undefined }
}

/**
 * Aedes delivers each match as its own QoSPacket copy, two setImmediate turns and five writes of
 * mqtt-packet (lib/client.js deliverQoS, lib/write.js). For a framed chat publish to a clean
 * MQTT 3.x session this does the same steps in place: de-duplication of overlapping subscriptions,
 * authorizeForward (ACL per recipient), the client's next packet id, one write from the frame,
 * waiting for drain when the socket is full. Everything else (persistent sessions, whose deliveries
 * are tracked until acknowledged; MQTT 5; a QoS 0 downgrade; other packets) goes the Aedes way.
 * Call from preConnect, before any subscription captures `deliverQoS`.
 */
export function encodeOnce(client: Client): void {
  const self = client as unknown as DeliveringClient
  const aedesDeliver = self.deliverQoS
  if (typeof aedesDeliver !== 'function' || typeof self._nextId !== 'number' || typeof self.duplicates !== 'object') {
    throw new Error('aedes client changed shape: broker/aedes/encode-once.ts needs updating')
  }
  self.deliverQoS = function deliverFramed(packet, done) {
    const frame = frames.get(packet.payload as Buffer)
    if (!frame || !self.clean || (self.version !== 3 && self.version !== 4) || (self.subscriptions[packet.topic]?.qos ?? 1) < 1) {
      return aedesDeliver(packet, done)
    }
    const brokerId = packet.brokerId
    const counter = packet.brokerCounter
    if ((self.duplicates[brokerId] ?? 0) >= counter) return done()
    self.duplicates[brokerId] = counter
    if (!self.broker.authorizeForward(client, packet) || !self.connected || self.closed) return done()
    const messageId = self._nextId
    self._nextId = messageId >= 65535 ? 1 : messageId + 1
    if (self.conn.write(frame.withId(messageId)) || self.errored) return done()
    self.waitForDrain(done)
  }
}
