import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'

/** A real mqtt.js client over TCP or WebSocket that records what it receives. */
export interface TestClient {
  client: MqttClient
  /** Every message received, parsed as JSON when possible, in arrival order. */
  received: { topic: string; payload: any }[]
  on(topic: string): any[]
  /** Resolves once `count` messages matched `topic` (or rejects after `timeoutMs`). */
  waitFor(topic: string, count?: number, timeoutMs?: number): Promise<any[]>
  end(): Promise<void>
}

export async function connectClient(url: string, token: string | undefined, options: IClientOptions = {}): Promise<TestClient> {
  const client = await mqtt.connectAsync(url, { username: 'u', password: token, reconnectPeriod: 0, connectTimeout: 5000, ...options })
  return wrap(client)
}

export function wrap(client: MqttClient): TestClient {
  const received: { topic: string; payload: any }[] = []
  const listeners = new Set<() => void>()
  client.on('message', (topic, payload) => {
    const text = payload.toString()
    let value: unknown = text
    try {
      value = JSON.parse(text)
    } catch (error) {
      // not JSON (typing, generic topics): kept as text
      if (!(error instanceof SyntaxError)) throw error
    }
    received.push({ topic, payload: value })
    for (const listener of listeners) listener()
  })
  const on = (topic: string) => received.filter((m) => m.topic === topic).map((m) => m.payload)
  return {
    client,
    received,
    on,
    waitFor(topic, count = 1, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = on(topic)
          if (found.length < count) return false
          clearTimeout(timer)
          listeners.delete(listener)
          resolve(found)
          return true
        }
        const listener = () => void check()
        const timer = setTimeout(() => {
          listeners.delete(listener)
          reject(new Error(`timed out waiting for ${count} on ${topic}; got ${on(topic).length}`))
        }, timeoutMs)
        if (!check()) listeners.add(listener)
      })
    },
    end: () => client.endAsync().then(() => undefined)
  }
}

/** Waits until `predicate` holds, polling; for state that has no event (history after the persister). */
export async function eventually<T>(probe: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (predicate(value)) return value
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value).slice(0, 300)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** SUBACK return codes (128 = refused), read from the packet itself: mqtt.js turns refusals into errors. */
export function subscribeCodes(client: MqttClient, topics: string[], qos: 0 | 1 = 1): Promise<number[]> {
  return new Promise((resolve) => {
    const onPacket = (packet: { cmd: string; granted?: unknown[] }) => {
      if (packet.cmd !== 'suback') return
      client.off('packetreceive', onPacket)
      resolve((packet.granted ?? []).map(Number))
    }
    client.on('packetreceive', onPacket)
    client.subscribe(topics, { qos }, () => {})
  })
}
