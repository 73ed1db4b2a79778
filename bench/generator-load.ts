import mqtt, { type MqttClient } from 'mqtt'
import type { ClientSpec, ConnectResult, GeneratorRequest, PublishResult, StatsResult } from './generator-protocol.js'
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

/** The clients of one generator process and what they measured. */
export function createLoad() {
  const clients: MqttClient[] = []
  const publishers: { client: MqttClient; topic: string }[] = []
  const latency = new Histogram()
  let received = 0
  let firstUs: number | null = null
  let lastUs: number | null = null
  let recordFromUs = 0

  function onMessage(_topic: string, payload: Buffer): void {
    const stamp = stampOf(payload)
    if (stamp === null || stamp < recordFromUs) return
    const now = nowUs()
    received++
    firstUs ??= now
    lastUs = now
    latency.record(now - stamp)
  }

  async function connectOne(spec: ClientSpec, keepalive: number): Promise<void> {
    const client = mqtt.connect(spec.url, {
      clientId: spec.clientId,
      username: spec.username,
      password: spec.password,
      keepalive,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 30_000
    })
    clients.push(client)
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('close', () => reject(new Error(`${spec.clientId}: connection closed before CONNACK`)))
      client.on('error', reject)
    })
    if (spec.role === 'publisher' && spec.topic) publishers.push({ client, topic: spec.topic })
    if (spec.role !== 'subscriber' || !spec.topic) return
    client.on('message', onMessage)
    const granted = await client.subscribeAsync(spec.topic, { qos: 1 })
    if (granted[0]?.qos !== 1) throw new Error(`${spec.clientId}: subscription to ${spec.topic} refused (${granted[0]?.qos})`)
  }

  async function connect(specs: ClientSpec[], keepalive: number, concurrency: number): Promise<ConnectResult> {
    let next = 0
    let connected = 0
    const errors: string[] = []
    const worker = async () => {
      while (next < specs.length) {
        const spec = specs[next++]!
        await connectOne(spec, keepalive).then(
          () => connected++,
          (error: unknown) => errors.push(error instanceof Error ? error.message : String(error))
        )
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker))
    return { connected, failed: errors.length, firstError: errors[0] ?? null }
  }

  /** One publisher's run: `count` QoS 1 messages, at most `window` unacknowledged, paced when asked. */
  function publishFrom(client: MqttClient, topic: string, index: number, request: PublishRequest): Promise<PublishResult> {
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
          client.publish(topic, chatPayload(`${request.idPrefix}-${index}-${result.sent}`, payloadBytes), { qos: 1 }, (error) => {
            inflight--
            if (error) result.failed++
            else result.acked++
            if (result.acked + result.failed === count) finish()
            else if (timer === undefined) pump()
          })
        }
      }
      if (count === 0) finish()
      else pump()
    })
  }

  return {
    connect,
    async publish(request: PublishRequest): Promise<PublishResult> {
      const runs = await Promise.all(publishers.map(({ client, topic }, index) => publishFrom(client, topic, index, request)))
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
    },
    stats: (): StatsResult => ({ received, firstUs, lastUs, latency: latency.toData() }),
    async close(): Promise<void> {
      const all = clients.splice(0)
      publishers.length = 0
      // a forced end at teardown: a client whose end fails has nothing left to flush or undo
      await Promise.all(all.map((client) => client.endAsync(true).catch(() => undefined)))
    }
  }
}
