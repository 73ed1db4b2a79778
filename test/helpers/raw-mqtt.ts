import { createConnection, type Socket } from 'node:net'
import {
  type ConnectOptions,
  encodeAck,
  encodeConnect,
  encodeDisconnect,
  encodePingreq,
  encodePublish,
  encodeSubscribe,
  type PublishOptions,
  RawDecoder,
  type RawPacket
} from './raw-mqtt-codec.js'

export type { RawPacket } from './raw-mqtt-codec.js'

type Publish = Extract<RawPacket, { type: 'publish' }>
type Waiter = { match: (packet: RawPacket) => boolean; resolve: (packet: RawPacket) => void; reject: (error: Error) => void }

/**
 * An MQTT 3.1.1 client over a plain socket with its own codec (raw-mqtt-codec.ts). It never
 * acknowledges anything by itself: tests decide which PUBACK/PUBREC/PUBREL/PUBCOMP to send.
 */
export class RawMqttClient {
  /** Every packet received, in arrival order. */
  readonly received: RawPacket[] = []
  /** Socket errors (e.g. a reset by the server). */
  readonly errors: Error[] = []
  /** Resolves when the server closes the connection (or it errors). */
  readonly closed: Promise<void>
  private readonly decoder = new RawDecoder()
  private readonly waiters = new Set<Waiter>()
  private isClosed = false

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      for (const packet of this.decoder.push(chunk)) this.receive(packet)
    })
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.isClosed = true
        for (const waiter of this.waiters) waiter.reject(new Error('connection closed while waiting'))
        this.waiters.clear()
        resolve()
      })
    })
    // a reset is followed by 'close', where waiters are rejected; kept for the test to inspect
    socket.on('error', (error) => this.errors.push(error))
  }

  /** Connects and waits for the CONNACK. */
  static async connect(port: number, options: ConnectOptions): Promise<{ client: RawMqttClient; connack: RawPacket }> {
    const socket = createConnection({ port, host: '127.0.0.1' })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const client = new RawMqttClient(socket)
    const connack = client.next((p) => p.type === 'connack')
    client.socket.write(encodeConnect(options))
    return { client, connack: await connack }
  }

  get isOpen(): boolean {
    return !this.isClosed
  }

  private receive(packet: RawPacket): void {
    for (const waiter of this.waiters) {
      if (!waiter.match(packet)) continue
      this.waiters.delete(waiter)
      waiter.resolve(packet)
      return
    }
    this.received.push(packet)
  }

  /** The next packet matching `match`: taken from what already arrived, or awaited. */
  next(match: (packet: RawPacket) => boolean = () => true): Promise<RawPacket> {
    const index = this.received.findIndex(match)
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0] as RawPacket)
    if (this.isClosed) return Promise.reject(new Error('connection closed'))
    return new Promise((resolve, reject) => this.waiters.add({ match, resolve, reject }))
  }

  /** The next PUBLISH on `topic`. */
  async nextPublish(topic: string): Promise<Publish> {
    return (await this.next((p) => p.type === 'publish' && p.topic === topic)) as Publish
  }

  /** The next acknowledgement of `type` for `messageId`. */
  nextAck(type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', messageId: number): Promise<RawPacket> {
    return this.next((p) => p.type === type && p.messageId === messageId)
  }

  publish(options: PublishOptions): void {
    this.socket.write(encodePublish(options))
  }

  ack(type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', messageId: number): void {
    this.socket.write(encodeAck(type, messageId))
  }

  /** Bytes as they are, e.g. several packets in one write or one packet split over two. */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  async subscribe(messageId: number, subscriptions: { topic: string; qos: 0 | 1 | 2 }[]): Promise<number[]> {
    const suback = this.next((p) => p.type === 'suback' && p.messageId === messageId)
    this.socket.write(encodeSubscribe(messageId, subscriptions))
    return ((await suback) as Extract<RawPacket, { type: 'suback' }>).granted
  }

  /** A PINGREQ/PINGRESP round trip: everything the server wrote before it has arrived. */
  async ping(): Promise<void> {
    const pong = this.next((p) => p.type === 'pingresp')
    this.socket.write(encodePingreq())
    await pong
  }

  /** A clean DISCONNECT; resolves once the server closed the socket. */
  async disconnect(): Promise<void> {
    this.socket.end(encodeDisconnect())
    await this.closed
  }

  /** Drops the connection without DISCONNECT (the session keeps what was unacknowledged). */
  async drop(): Promise<void> {
    this.socket.destroy()
    await this.closed
  }
}
