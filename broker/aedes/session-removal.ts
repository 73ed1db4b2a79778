import type { Readable } from 'node:stream'

interface StoredPacket {
  cmd?: string
  messageId?: number
}

/** What an aedes-persistence 11 instance offers to wipe one session, called as Aedes itself does. */
export interface RemovablePersistence {
  outgoingStream(client: { id: string }): Readable | AsyncIterable<unknown>
  outgoingUpdate(client: { id: string }, packet: StoredPacket): Promise<unknown>
  outgoingClearMessageId(client: { id: string; clean?: boolean }, packet: { messageId?: number }): Promise<unknown>
  cleanSubscriptions(client: { id: string }): Promise<unknown>
  cleanIncoming?(client: { id: string }): Promise<unknown>
}

/** Any packet id will do for a packet that was queued but never sent: it is cleared right after. */
const PLACEHOLDER_ID = 1

/**
 * Removes everything an Aedes persistence keeps for an offline session: its queued and in-flight
 * outgoing packets, its subscriptions (other nodes drop them from their subscription tries) and its
 * inbound QoS 2 state. Only public persistence calls are used, in the order that leaves no
 * reference count behind: aedes-persistence-redis shares one stored packet between its offline
 * subscribers and frees it only when each of them clears it, and its `cleanSubscriptions` drops the
 * outgoing list without doing so; aedes-persistence-level's `cleanSubscriptions` keeps the queue.
 * Each queued packet is therefore given a packet id (`outgoingUpdate`, as on delivery) and
 * cleared (`outgoingClearMessageId`, as on PUBACK) before the subscriptions go.
 */
export async function removeStoredSession(persistence: RemovablePersistence, clientId: string): Promise<number> {
  const client = { id: clientId, clean: false }
  const queued: StoredPacket[] = []
  for await (const packet of persistence.outgoingStream(client) as AsyncIterable<StoredPacket>) queued.push(packet)
  for (const packet of queued) {
    if (!packet.messageId) packet.messageId = PLACEHOLDER_ID
    await persistence.outgoingUpdate(client, packet)
    await persistence.outgoingClearMessageId(client, { messageId: packet.messageId })
  }
  await persistence.cleanSubscriptions(client)
  await persistence.cleanIncoming?.(client)
  return queued.length
}
