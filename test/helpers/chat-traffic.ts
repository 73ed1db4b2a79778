import { createServer } from 'node:net'
import type { Collection } from 'mongodb'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { expect } from 'vitest'
import type { Envelope } from '../../core/message.js'
import { eventually } from './mqtt.js'
import type { restClient } from './rest.js'

export type Rest = ReturnType<typeof restClient>
export type User = { id: string; token: string }

export const sleep = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))

/** Resolves with `promise`, or rejects once `ms` passed: every wait on the network has a bound. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * An mqtt.js client (no automatic reconnect) whose listeners are attached before CONNECT, so that
 * nothing sent right after CONNACK is missed. Resolves with null when the broker refuses or closes;
 * `lastError` keeps why (a refusal or a reset is an expected answer in these tests, not a failure).
 */
export async function openClient(
  url: string,
  token: string,
  options: IClientOptions,
  onMessage?: (topic: string, payload: Buffer) => void
) {
  const client = mqtt.connect(url, { username: 'u', password: token, reconnectPeriod: 0, connectTimeout: 3000, ...options })
  client.on('error', (error) => {
    openClient.lastError = error
  })
  if (onMessage) client.on('message', onMessage)
  const connected = await new Promise<boolean>((resolve) => {
    client.once('connect', () => resolve(true))
    client.once('close', () => resolve(false))
  })
  if (connected) return client
  client.end(true)
  return null
}
openClient.lastError = null as Error | null

/** What the publishers sent and what the cluster answered. */
export class Ledger {
  readonly sent = new Set<string>()
  /** Ids whose PUBACK arrived (accepted, or answered with a notice). */
  readonly acked = new Set<string>()
  /** Ids a `rejected` notice named, with its reason. */
  readonly rejected = new Map<string, string>()
  /** `duplicate` notices: a send the cluster had already sequenced (a resend after a lost reply). */
  duplicates = 0

  /** Acknowledged and not rejected: what the cluster promised to keep. */
  accepted(): string[] {
    return [...this.acked].filter((id) => !this.rejected.has(id))
  }

  reasons(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const reason of this.rejected.values()) counts[reason] = (counts[reason] ?? 0) + 1
    return counts
  }
}

/**
 * One user sending QoS 1 chat messages to one room, `window` at a time, over a clean session
 * subscribed to its inbox. A connection that fails is dropped (its unacknowledged sends stay
 * unacknowledged) and a new one is opened to `target`, which the test may change.
 */
export class Publisher {
  client: MqttClient | null = null
  private count = 0
  private sentinels = 0
  private halted = false
  private readonly inbox: string

  constructor(
    readonly user: User,
    public target: string,
    private readonly ledger: Ledger,
    private readonly topic: string,
    private readonly window = 8
  ) {
    this.inbox = `users/${user.id}/inbox`
  }

  private onMessage = (topic: string, payload: Buffer) => {
    if (topic !== this.inbox) return
    const notice = JSON.parse(payload.toString()) as { type: string; id: string | null; reason?: string }
    if (notice.type === 'duplicate') this.ledger.duplicates += 1
    if (notice.type !== 'rejected') return
    if (notice.id === null) this.sentinels += 1
    else this.ledger.rejected.set(notice.id, String(notice.reason))
  }

  /** The open connection, or a new one subscribed to the inbox; null after `attempts` failures. */
  async connect(attempts = 100): Promise<MqttClient | null> {
    if (this.client?.connected) return this.client
    this.drop()
    for (let attempt = 0; attempt < attempts && !this.halted; attempt++) {
      const client = await openClient(this.target, this.user.token, { clean: true }, this.onMessage)
      if (client) {
        // no SUBACK in time counts as refused: the connection is dropped and the next attempt made
        const granted = await withTimeout(client.subscribeAsync(this.inbox, { qos: 1 }), 5000, 'inbox SUBACK').catch(() => [])
        if (client.connected && !this.halted && granted.length === 1 && granted[0]?.qos === 1) {
          // sends in flight on a closed connection fail now instead of waiting for a reconnect
          client.once('close', () => client.end(true))
          this.client = client
          return client
        }
        client.end(true)
      }
      await sleep(200)
    }
    return null
  }

  /** Ends the connection; its sends in flight fail. */
  drop(): void {
    this.client?.end(true)
    this.client = null
  }

  /** For clean-up: stops `run` and `connect` for good and ends the connection. */
  halt(): void {
    this.halted = true
    this.drop()
  }

  /** Sends until `stop()` holds (or `maxRounds` windows), reconnecting as needed. */
  async run(stop: () => boolean, maxRounds = 2000): Promise<void> {
    for (let round = 0; round < maxRounds && !stop() && !this.halted; round++) {
      const client = await this.connect()
      if (!client) continue
      const ids = Array.from({ length: this.window }, () => `${this.user.id}-${this.count++}`)
      // PUBACKs missing in time: the connection is dropped and the next round resends over a new one
      await withTimeout(Promise.all(ids.map((id) => this.send(client, id))), 15_000, 'PUBACKs').catch(() => client.end(true))
    }
  }

  private async send(client: MqttClient, id: string): Promise<void> {
    this.ledger.sent.add(id)
    try {
      await client.publishAsync(this.topic, JSON.stringify({ id, body: `message ${id}` }), { qos: 1 })
    } catch {
      return
    }
    this.ledger.acked.add(id)
  }

  /**
   * Sends an unreadable payload and waits for its `rejected` notice: the node's notices travel
   * in order, so every notice for this user's earlier sends through it has arrived by then.
   */
  async settle(timeoutMs = 10_000): Promise<void> {
    const client = await this.connect()
    if (!client) throw new Error(`${this.user.id}: cannot connect to ${this.target}`)
    const before = this.sentinels
    await withTimeout(client.publishAsync(this.topic, 'not json', { qos: 1 }), timeoutMs, 'sentinel PUBACK')
    const deadline = Date.now() + timeoutMs
    while (this.sentinels === before) {
      if (Date.now() > deadline) throw new Error(`${this.user.id}: no notice for the sentinel send in ${timeoutMs} ms`)
      await sleep(20)
    }
  }
}

/** The whole history of a room, oldest first, paged by `after` and `next`. */
export async function fullHistory(rest: Rest, token: string, roomId: string): Promise<Envelope[]> {
  const all: Envelope[] = []
  let after = 0
  for (let page = 0; page < 1_000; page++) {
    const response = await rest.call<{ messages: Envelope[]; next?: number }>(
      'GET',
      `/v1/rooms/${roomId}/messages?after=${after}&limit=200`,
      undefined,
      token
    )
    if (response.status !== 200) throw new Error(`history: ${response.status} ${JSON.stringify(response.body)}`)
    all.push(...response.body.messages)
    if (response.body.next === undefined) return all
    after = response.body.next
  }
  throw new Error('history did not end within 1000 pages')
}

/**
 * Every accepted id exactly once in history (through the REST API) and in MongoDB itself, seqs 1..N
 * gapless, N documents, nothing that was never sent. Waits for the persister first. Returns the history.
 */
export async function expectStoredOnce(
  rest: Rest,
  token: string,
  roomId: string,
  messages: Collection<Envelope>,
  accepted: string[],
  sent: Set<string>
): Promise<Envelope[]> {
  // the API fills from the chat log what is not persisted yet, so its newest seq is the log's
  const newest = (await fullHistory(rest, token, roomId)).at(-1)?.seq ?? 0
  await eventually(
    () => messages.countDocuments({ room: roomId }),
    (count) => count >= newest,
    60_000
  )
  const stored = await fullHistory(rest, token, roomId)
  const counts = new Map<string, number>()
  for (const message of stored) counts.set(message.id, (counts.get(message.id) ?? 0) + 1)
  const known = new Set(accepted)
  expect(
    accepted.filter((id) => !counts.has(id)),
    'acknowledged but not in history'
  ).toEqual([])
  expect(
    [...counts].filter(([, count]) => count > 1).map(([id]) => id),
    'stored more than once'
  ).toEqual([])
  expect(
    stored.every((message, i) => message.seq === i + 1),
    'seqs 1..N'
  ).toBe(true)
  expect(stored.length).toBe(newest)
  expect(
    stored.filter((m) => !sent.has(m.id) && !known.has(m.id)).map((m) => m.id),
    'in history but never sent'
  ).toEqual([])
  expect(await messages.countDocuments({ room: roomId }), 'documents in MongoDB').toBe(stored.length)
  return stored
}

/** Waits for `predicate`, polling; throws with `what` when `timeoutMs` passes first. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`)
    await sleep(20)
  }
}

/** Seqs run from `first` up by exactly one each: in order, no gap, no repeat. */
export function consecutive(seqs: number[], first: number): boolean {
  return seqs.every((seq, i) => seq === first + i)
}

/** A TCP port nothing listens on: bound, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
