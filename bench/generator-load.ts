import mqtt, { type MqttClient } from 'mqtt'
import { OrderTracker } from './generator-order.js'
import type { ClientSpec, ConnectResult, GeneratorRequest, PublishResult, StatsResult, StormResult } from './generator-protocol.js'
import { Histogram, nowUs } from './histogram.js'

type PublishRequest = Extract<GeneratorRequest, { op: 'publish' }>
const STAMP = Buffer.from('"t":')

/** The send time a publisher stamped into a payload (`"meta":{"t":<µs>}`), read without parsing the JSON. */
export function stampOf(payload: Buffer): number | null {
  const at = payload.lastIndexOf(STAMP)
  if (at < 0) return null
  let value = 0
  for (let index = at + STAMP.length; index < payload.length; index++) {
    const digit = (payload[index] ?? 0) - 48
    if (digit < 0 || digit > 9) break
    value = value * 10 + digit
  }
  return value
}

/** A chat message `{"id","body","meta":{"t"}}` of about `bytes` bytes, stamped now. */
export function chatPayload(id: string, bytes: number): string {
  const head = `{"id":"${id}","body":"`
  const tail = `","meta":{"t":${nowUs()}}}`
  return head + 'x'.repeat(Math.max(1, bytes - head.length - tail.length)) + tail
}

const LEAVE_MS = 500
const ACK_FLUSH_MS = 200

/** DISCONNECT and close; a socket that does not close in LEAVE_MS (its reading is paused) is destroyed. */
async function leave(client: MqttClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), LEAVE_MS)))
  const closed = client.endAsync(false).then(() => false)
  if (await Promise.race([closed, late])) await client.endAsync(true)
  clearTimeout(timer)
}

/** One connected client and what it was made from, so that it can be connected again. */
interface Held {
  spec: ClientSpec
  client: MqttClient
}

/** The clients of one generator process and what they measured. */
export function createLoad() {
  let held: Held[] = []
  let publishers: { client: MqttClient; topics: string[] }[] = []
  const latency = new Histogram()
  const order = new OrderTracker()
  let byUrl: Record<string, number> = {}
  let received = 0
  let firstUs: number | null = null
  let lastUs: number | null = null
  let recordFromUs = 0

  function onMessage(spec: ClientSpec, payload: Buffer, dup: boolean): void {
    const stamp = stampOf(payload)
    if (stamp === null || stamp < recordFromUs) return
    const now = nowUs()
    received++
    byUrl[spec.url] = (byUrl[spec.url] ?? 0) + 1
    firstUs ??= now
    lastUs = now
    latency.record(now - stamp)
    if (spec.track) order.record(spec.clientId, payload, dup)
  }

  async function connectOne(spec: ClientSpec, keepalive: number): Promise<void> {
    const client = mqtt.connect(spec.url, {
      clientId: spec.clientId,
      username: spec.username,
      password: spec.password,
      keepalive,
      clean: spec.clean ?? true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 30_000
    })
    held.push({ spec, client })
    // before CONNACK: a resumed session's queued messages may come right after it
    if (spec.role === 'subscriber') client.on('message', (_topic, payload, packet) => onMessage(spec, payload, packet.dup))
    const sessionPresent = await new Promise<boolean>((resolve, reject) => {
      client.once('connect', (connack) => resolve(connack.sessionPresent))
      client.once('close', () => reject(new Error(`${spec.clientId}: connection closed before CONNACK`)))
      client.on('error', reject)
    })
    const topics = spec.topics ?? (spec.topic ? [spec.topic] : [])
    if (spec.role === 'publisher' && topics.length > 0) publishers.push({ client, topics })
    if (spec.role !== 'subscriber' || !spec.topic || sessionPresent) return
    const granted = await client.subscribeAsync(spec.topic, { qos: 1 })
    if (granted[0]?.qos !== 1) throw new Error(`${spec.clientId}: subscription to ${spec.topic} refused (${granted[0]?.qos})`)
  }

  /** Connects every spec, `concurrency` at a time; a refused or failed one tries again after a random 0.25-1 s, up to `attempts` in all. */
  async function connect(specs: ClientSpec[], keepalive: number, concurrency: number, attempts = 1): Promise<ConnectResult> {
    let next = 0
    let connected = 0
    let retries = 0
    const errors: string[] = []
    const attempt = async (spec: ClientSpec, left: number): Promise<void> => {
      try {
        await connectOne(spec, keepalive)
        connected++
      } catch (error) {
        // the failed client is dropped; a device would back off and try again
        const failed = held.filter((entry) => entry.spec === spec)
        forget(failed)
        for (const { client } of failed) client.end(true)
        if (left <= 1) {
          errors.push(error instanceof Error ? error.message : String(error))
          return
        }
        retries++
        await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 750))
        await attempt(spec, left - 1)
      }
    }
    const worker = async () => {
      while (next < specs.length) await attempt(specs[next++]!, attempts)
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker))
    return { connected, failed: errors.length, firstError: errors[0] ?? null, retries }
  }

  /** Forgets `gone` (ended or destroyed clients); returns their specs for a reconnection. */
  function forget(gone: Held[]): ClientSpec[] {
    const clients = new Set(gone.map((entry) => entry.client))
    held = held.filter((entry) => !clients.has(entry.client))
    publishers = publishers.filter((entry) => !clients.has(entry.client))
    return gone.map((entry) => entry.spec)
  }

  let away: ClientSpec[] = []

  /** One publisher's run: `count` QoS 1 messages, at most `window` unacknowledged, paced when asked. */
  function publishFrom(client: MqttClient, topics: string[], index: number, request: PublishRequest): Promise<PublishResult> {
    const { count, window, perSecond, payloadBytes } = request
    const result: PublishResult = { sent: 0, acked: 0, failed: 0, startUs: nowUs(), endUs: nowUs() }
    // paced publishers start at random phases so that the room's load is spread over each interval
    const startMs = performance.now() + (perSecond ? Math.random() * (1000 / perSecond) : 0)
    return new Promise((resolve) => {
      let inflight = 0
      let timer: NodeJS.Timeout | undefined
      const finish = () => {
        clearTimeout(timer)
        clearTimeout(deadline)
        result.endUs = nowUs()
        resolve(result)
      }
      const deadline = setTimeout(finish, request.deadlineMs)
      const pump = () => {
        timer = undefined
        while (result.sent < count && inflight < window) {
          if (perSecond) {
            const wait = startMs + (result.sent * 1000) / perSecond - performance.now()
            if (wait > 0) {
              timer = setTimeout(pump, wait)
              return
            }
          }
          if (result.sent === 0) result.startUs = nowUs()
          inflight++
          result.sent++
          client.publish(
            topics[result.sent % topics.length]!,
            chatPayload(`${request.idPrefix}-${index}-${result.sent}`, payloadBytes),
            { qos: 1 },
            (error) => {
              inflight--
              if (error) result.failed++
              else result.acked++
              if (result.acked + result.failed === count) finish()
              else if (timer === undefined) pump()
            }
          )
        }
      }
      if (count === 0) finish()
      else pump()
    })
  }

  return {
    connect,
    async publish(request: PublishRequest): Promise<PublishResult> {
      const runs = await Promise.all(publishers.map(({ client, topics }, index) => publishFrom(client, topics, index, request)))
      return runs.reduce(
        (total, run) => ({
          sent: total.sent + run.sent,
          acked: total.acked + run.acked,
          failed: total.failed + run.failed,
          startUs: Math.min(total.startUs, run.startUs),
          endUs: Math.max(total.endUs, run.endUs)
        }),
        { sent: 0, acked: 0, failed: 0, startUs: Number.MAX_SAFE_INTEGER, endUs: 0 }
      )
    },
    reset(fromUs: number): void {
      recordFromUs = fromUs
      received = 0
      firstUs = null
      lastUs = null
      latency.clear()
      order.clear()
      byUrl = {}
    },
    stats: (): StatsResult => ({ received, firstUs, lastUs, latency: latency.toData(), byUrl }),
    order: () => order.results(),
    async close(): Promise<void> {
      const all = [...held]
      forget(all)
      away = []
      // a forced end at teardown: a client whose end fails has nothing left to flush or undo
      await Promise.all(all.map(({ client }) => client.endAsync(true).catch(() => undefined)))
    },
    /**
     * Stops reading first, so that every message this subscriber handled was acknowledged (PUBACK written
     * before DISCONNECT) and every one it did not handle is still the broker's to deliver again; then a
     * clean DISCONNECT. The broker keeps the session.
     */
    async offline(): Promise<number> {
      const gone = held.filter((entry) => entry.spec.group === 'offline')
      away = forget(gone)
      for (const { client } of gone) client.stream.pause()
      // what was read before the pause is handled and acknowledged within this; nothing more comes in
      await new Promise((resolve) => setTimeout(resolve, ACK_FLUSH_MS))
      await Promise.all(gone.map(({ client }) => leave(client)))
      return gone.length
    },
    online: (keepalive: number, concurrency: number) => connect(away.splice(0), keepalive, concurrency),
    async storm(keepalive: number, concurrency: number, attempts: number): Promise<StormResult> {
      const gone = [...held]
      const specs = forget(gone)
      const droppedUs = nowUs()
      for (const { client } of gone) client.stream.destroy()
      const result = await connect(specs, keepalive, concurrency, attempts)
      return { ...result, droppedUs, backUs: nowUs() }
    }
  }
}
