/**
 * A minimal MQTT 3.1.1 codec of our own (OASIS mqtt-v3.1.1-os §2–§3), independent of
 * mqtt-packet, so conformance tests do not share a parser with the broker under test.
 */

export type RawPacket =
  | { type: 'connack'; sessionPresent: boolean; returnCode: number }
  | { type: 'publish'; topic: string; payload: Buffer; qos: 0 | 1 | 2; dup: boolean; retain: boolean; messageId?: number }
  | { type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'unsuback'; messageId: number }
  | { type: 'suback'; messageId: number; granted: number[] }
  | { type: 'pingresp' }

export interface ConnectOptions {
  clientId: string
  clean: boolean
  keepalive?: number
  username?: string
  password?: string
}

export interface PublishOptions {
  topic: string
  payload?: string | Buffer
  qos?: 0 | 1 | 2
  retain?: boolean
  dup?: boolean
  messageId?: number
}

const utf8 = (text: string): Buffer => {
  const bytes = Buffer.from(text, 'utf8')
  const out = Buffer.alloc(2 + bytes.length)
  out.writeUInt16BE(bytes.length, 0)
  bytes.copy(out, 2)
  return out
}

const u16 = (value: number): Buffer => {
  const out = Buffer.alloc(2)
  out.writeUInt16BE(value, 0)
  return out
}

/** §2.2.3: the remaining length, 7 bits per byte, high bit = more bytes follow. */
function remainingLength(length: number): Buffer {
  const bytes: number[] = []
  let rest = length
  do {
    let byte = rest % 128
    rest = Math.floor(rest / 128)
    if (rest > 0) byte |= 0x80
    bytes.push(byte)
  } while (rest > 0)
  return Buffer.from(bytes)
}

function frame(firstByte: number, body: Buffer[]): Buffer {
  const payload = Buffer.concat(body)
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(payload.length), payload])
}

export function encodeConnect(options: ConnectOptions): Buffer {
  let flags = options.clean ? 0x02 : 0
  if (options.username !== undefined) flags |= 0x80
  if (options.password !== undefined) flags |= 0x40
  const body = [utf8('MQTT'), Buffer.from([4, flags]), u16(options.keepalive ?? 60), utf8(options.clientId)]
  if (options.username !== undefined) body.push(utf8(options.username))
  if (options.password !== undefined) body.push(utf8(options.password))
  return frame(0x10, body)
}

export function encodePublish(options: PublishOptions): Buffer {
  const qos = options.qos ?? 0
  const first = 0x30 | (options.dup ? 0x08 : 0) | (qos << 1) | (options.retain ? 0x01 : 0)
  const body = [utf8(options.topic)]
  if (qos > 0) body.push(u16(options.messageId ?? 1))
  body.push(Buffer.from(options.payload ?? ''))
  return frame(first, body)
}

/** PUBACK 0x40, PUBREC 0x50, PUBREL 0x62 (reserved flags 0010, [MQTT-3.6.1-1]), PUBCOMP 0x70. */
export function encodeAck(type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', messageId: number): Buffer {
  const first = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 }[type]
  return frame(first, [u16(messageId)])
}

/** SUBSCRIBE has reserved flags 0010 ([MQTT-3.8.1-1]). */
export function encodeSubscribe(messageId: number, subscriptions: { topic: string; qos: 0 | 1 | 2 }[]): Buffer {
  return frame(0x82, [u16(messageId), ...subscriptions.flatMap((s) => [utf8(s.topic), Buffer.from([s.qos])])])
}

export const encodePingreq = (): Buffer => Buffer.from([0xc0, 0x00])
export const encodeDisconnect = (): Buffer => Buffer.from([0xe0, 0x00])

/** Splits a byte stream into packets; keeps a partial packet until the rest arrives. */
export class RawDecoder {
  private buffer = Buffer.alloc(0)

  push(chunk: Buffer): RawPacket[] {
    this.buffer = Buffer.concat([this.buffer, chunk])
    const packets: RawPacket[] = []
    for (;;) {
      const header = this.header()
      if (!header || this.buffer.length < header.start + header.length) return packets
      const body = this.buffer.subarray(header.start, header.start + header.length)
      packets.push(decodePacket(this.buffer[0] as number, body))
      this.buffer = this.buffer.subarray(header.start + header.length)
    }
  }

  private header(): { start: number; length: number } | null {
    let length = 0
    let multiplier = 1
    for (let i = 1; i < 5; i++) {
      const byte = this.buffer[i]
      if (byte === undefined) return null
      length += (byte & 0x7f) * multiplier
      multiplier *= 128
      if ((byte & 0x80) === 0) return { start: i + 1, length }
    }
    throw new Error('malformed remaining length')
  }
}

function decodePacket(first: number, body: Buffer): RawPacket {
  const type = first >> 4
  switch (type) {
    case 2:
      return { type: 'connack', sessionPresent: ((body[0] ?? 0) & 1) === 1, returnCode: body[1] ?? -1 }
    case 3: {
      const qos = ((first >> 1) & 3) as 0 | 1 | 2
      const topicLength = body.readUInt16BE(0)
      const topic = body.toString('utf8', 2, 2 + topicLength)
      let at = 2 + topicLength
      const messageId = qos > 0 ? body.readUInt16BE(at) : undefined
      if (qos > 0) at += 2
      const packet = { type: 'publish' as const, topic, payload: Buffer.from(body.subarray(at)), qos }
      return { ...packet, dup: (first & 0x08) !== 0, retain: (first & 0x01) !== 0, ...(messageId === undefined ? {} : { messageId }) }
    }
    case 4:
      return { type: 'puback', messageId: body.readUInt16BE(0) }
    case 5:
      return { type: 'pubrec', messageId: body.readUInt16BE(0) }
    case 6:
      return { type: 'pubrel', messageId: body.readUInt16BE(0) }
    case 7:
      return { type: 'pubcomp', messageId: body.readUInt16BE(0) }
    case 9:
      return { type: 'suback', messageId: body.readUInt16BE(0), granted: [...body.subarray(2)] }
    case 11:
      return { type: 'unsuback', messageId: body.readUInt16BE(0) }
    case 13:
      return { type: 'pingresp' }
    default:
      throw new Error(`unexpected packet type ${type} from the server`)
  }
}
