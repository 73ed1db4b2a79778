import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import Packet from 'aedes-packet'

/**
 * The undocumented parts of Aedes 1.2 that mqchat relies on, in one place. Each is pinned by
 * test/unit/aedes-internals.test.ts, which fails when the pinned versions change their shape.
 */

/** What Aedes 1.2's Client keeps on the instance besides its typed API (lib/client.js). */
interface InternalClient {
  /** Granted filters of the connection, keyed by filter (a null-prototype object). */
  subscriptions: Record<string, unknown>
  /** The per-subscriber delivery step: authorizeForward, QoS downgrade, packet id, session store, write. */
  deliverQoS(packet: AedesPublishPacket, done: (error?: Error) => void): void
}

const internal = (client: Client) => client as unknown as InternalClient

/** The topic filters the connection is subscribed to (restored ones included, after CONNACK). */
export function subscribedFilters(client: Client): string[] {
  return Object.keys(internal(client).subscriptions)
}

/**
 * Delivers a packet to one client through Aedes's own per-subscriber path (authorizeForward,
 * packet id, in-flight tracking), as a subscription match would. Resolves once written; Aedes
 * never reports write errors here (it closes the connection instead).
 */
export function deliverToClient(client: Client, packet: AedesPublishPacket): Promise<void> {
  return new Promise((resolve) => internal(client).deliverQoS(packet, () => resolve()))
}

/**
 * A PUBLISH as Aedes passes it between its emitter and its clients: stamped with this broker's
 * id and next counter, which Aedes uses to de-duplicate overlapping subscriptions.
 */
export function publishPacket(aedes: Aedes, topic: string, payload: Buffer, qos: 0 | 1 | 2): AedesPublishPacket {
  return new Packet({ cmd: 'publish', topic, payload, qos, retain: false, dup: false }, aedes) as unknown as AedesPublishPacket
}

/**
 * Aedes emits 'error' on the broker for failures outside any client (persistence or emitter);
 * its type definitions do not list the event, and an unhandled 'error' would end the process.
 */
export function onBrokerError(aedes: Aedes, listener: (error: unknown) => void): void {
  ;(aedes as unknown as NodeJS.EventEmitter).on('error', listener)
}
