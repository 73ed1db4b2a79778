import { Readable } from 'node:stream'
import { chatRoomOf } from '../core/topics.js'

interface Delivery {
  topic: string
  payload: unknown
  messageId?: number
}

/** The methods of an aedes-persistence 11 instance that mqchat adjusts. */
export interface AdaptablePersistence {
  outgoingUpdate(client: { id: string }, packet: Delivery): Promise<unknown>
  outgoingClearMessageId(client: { id: string; clean?: boolean }, packet: { messageId?: number }): Promise<unknown>
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: unknown }>
}

/**
 * Adapts an Aedes persistence to mqchat's chat delivery, patching the instance in place
 * (the persistences keep private fields, which a Proxy would break):
 *
 * - Chat messages reach persistent sessions from the chat log, not from per-subscriber queues,
 *   so their in-flight QoS 1 deliveries are tracked in memory here; Aedes would otherwise fail
 *   the delivery ("no such packet") because the message was never queued. A session's unacked
 *   chat messages are replayed from its cursor when it returns.
 * - Aedes 1.2 calls `.pipe()` on `createRetainedStreamCombi()`, but aedes-persistence-redis 12
 *   returns an async generator there (a crash on the first SUBSCRIBE): wrapped in a Readable.
 */
export function adaptPersistence<T extends AdaptablePersistence>(persistence: T): T & { forget(clientId: string): void } {
  const inflight = new Map<string, Map<number, Delivery>>()
  const update = persistence.outgoingUpdate.bind(persistence)
  const clear = persistence.outgoingClearMessageId.bind(persistence)
  const retained = persistence.createRetainedStreamCombi.bind(persistence)

  persistence.outgoingUpdate = async (client, packet) => {
    if (chatRoomOf(packet.topic) === null || packet.messageId === undefined) return update(client, packet)
    const deliveries = inflight.get(client.id) ?? new Map<number, Delivery>()
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
  persistence.createRetainedStreamCombi = (patterns) => Readable.from(retained(patterns))
  return Object.assign(persistence, { forget: (clientId: string) => void inflight.delete(clientId) })
}
