import { Readable } from 'node:stream'
import { chatRoomOf } from '../../core/topics.js'

/** What Aedes hands the persistence for an outgoing packet: a PUBLISH, or a PUBREL (no topic). */
interface Outgoing {
  cmd?: string
  brokerId?: string
  brokerCounter?: number
  topic?: string
  payload?: unknown
  messageId?: number
  dup?: boolean
}

/** The methods of an aedes-persistence 11 instance that mqchat adjusts. */
export interface AdaptablePersistence {
  outgoingUpdate(client: { id: string }, packet: Outgoing): Promise<unknown>
  outgoingClearMessageId(client: { id: string; clean?: boolean }, packet: { messageId?: number }): Promise<unknown>
  outgoingStream(client: { id: string }): Readable
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: unknown }>
}

export interface AdaptHooks {
  /** A retained read failed (the SUBSCRIBE still completes, without those messages). */
  onRetainedError(error: unknown): void
  /** A stored packet is about to be resent to a returning session (the Aedes Client, or a plain `{ id }`). */
  onResend?(client: { id: string }, packet: Outgoing): void
}

/** A chat PUBLISH: tracked in memory here, never in the session store. A PUBREL has no topic. */
function chatDelivery(packet: Outgoing): boolean {
  return packet.cmd !== 'pubrel' && typeof packet.topic === 'string' && chatRoomOf(packet.topic) !== null
}

/**
 * Adapts an Aedes persistence to mqchat's chat delivery, patching the instance in place
 * (the persistences keep private fields, which a Proxy would break):
 *
 * - Chat messages reach persistent sessions from the chat log, not from per-subscriber queues,
 *   so their in-flight QoS 1 deliveries are tracked in memory here; Aedes would otherwise fail
 *   the delivery ("no such packet") because the message was never queued. A session's unacked
 *   chat messages are replayed from its cursor when it returns. Everything else (generic topics,
 *   inbox, events, and the PUBREL Aedes stores on PUBREC, which has no topic) goes to the store.
 * - Aedes 1.2 resends a returning session's stored deliveries without DUP; a stored PUBLISH that
 *   has a packet id was sent before, so it goes out with DUP 1 ([MQTT-3.3.1-1], [MQTT-4.4.0-1]).
 * - Aedes 1.2 calls `.pipe()` on `createRetainedStreamCombi()`, but aedes-persistence-redis 12
 *   returns an async generator there (a crash on the first SUBSCRIBE): wrapped in a Readable.
 *   Aedes neither handles that stream's errors nor waits for it when it closes: a read failing, or
 *   still under way when the store closes, threw out of the process. Errors go to `onRetainedError`,
 *   and `closeRetainedReads` ends the reads under way before the store closes.
 */
export function adaptPersistence<T extends AdaptablePersistence>(
  persistence: T,
  hooks: AdaptHooks
): T & { forget(clientId: string): void; closeRetainedReads(): Promise<void> } {
  const { onRetainedError, onResend } = hooks
  const inflight = new Map<string, Map<number, Outgoing>>()
  const update = persistence.outgoingUpdate.bind(persistence)
  const clear = persistence.outgoingClearMessageId.bind(persistence)
  const stream = persistence.outgoingStream.bind(persistence)
  const retained = persistence.createRetainedStreamCombi.bind(persistence)

  persistence.outgoingUpdate = async (client, packet) => {
    if (!chatDelivery(packet) || packet.messageId === undefined) return update(client, packet)
    const deliveries = inflight.get(client.id) ?? new Map<number, Outgoing>()
    inflight.set(client.id, deliveries)
    deliveries.set(packet.messageId, packet)
    // resolve with nothing: Aedes treats a resolved value as an error here
    return undefined
  }
  persistence.outgoingClearMessageId = async (client, packet) => {
    // a clean session never has anything stored (Aedes skips outgoingUpdate for it): no store
    // read per PUBACK, which was 40% of the broker's time in the S1 fan-out bench
    if (client.clean) return undefined
    const deliveries = inflight.get(client.id)
    const delivery = packet.messageId === undefined ? undefined : deliveries?.get(packet.messageId)
    if (!delivery) return clear(client, packet)
    deliveries?.delete(packet.messageId as number)
    return delivery
  }
  persistence.outgoingStream = (client) => {
    async function* resent() {
      for await (const packet of stream(client) as AsyncIterable<Outgoing>) {
        if (packet.cmd !== 'pubrel' && packet.messageId !== undefined && packet.messageId > 0) packet.dup = true
        onResend?.(client, packet)
        yield packet
      }
    }
    return Readable.from(resent(), { objectMode: true })
  }
  const reads = new Set<Readable>()
  let closing = false
  persistence.createRetainedStreamCombi = (patterns) => {
    const wanted = patterns.filter(mayMatchRetained)
    const reading = Readable.from(closing || wanted.length === 0 ? [] : retained(wanted))
    reads.add(reading)
    reading.once('close', () => reads.delete(reading))
    reading.on('error', onRetainedError)
    return reading
  }
  /** Ends the retained reads under way and waits until they let go of the store; later ones read nothing. */
  const closeRetainedReads = async () => {
    closing = true
    const ends = [...reads].map((reading) => new Promise<void>((resolve) => reading.once('close', () => resolve()).destroy()))
    await Promise.all(ends)
  }
  return Object.assign(persistence, { forget: (clientId: string) => void inflight.delete(clientId), closeRetainedReads })
}

/**
 * Nothing under `rooms/` or `users/` is ever retained (the publish ACL clears retain there; only presence
 * and generic topics keep one), so a SUBSCRIBE to a room or an inbox reads no retained message: both stores
 * scan every retained message per pattern (all users' presence), which made each room SUBSCRIBE O(users).
 */
function mayMatchRetained(pattern: string): boolean {
  return !pattern.startsWith('rooms/') && !pattern.startsWith('users/')
}
