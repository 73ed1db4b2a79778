import { Readable } from 'node:stream'

/** What Aedes 1.2 passes the persistence for a connection: the Client itself (lib/handlers/connect.js, lib/client.js). */
type ClientRef = { id: string }

/** The persistence methods Aedes 1.2 calls to wipe a clean session's state, and the one that stores inbound QoS 2 state. */
export interface WipeablePersistence {
  cleanSubscriptions(client: ClientRef): Promise<unknown>
  cleanIncoming(client: ClientRef): Promise<unknown>
  delWill(client: ClientRef): Promise<unknown>
  outgoingStream(client: ClientRef): Readable
  incomingStorePacket(client: ClientRef, packet: unknown): Promise<unknown>
}

export interface CleanSessions {
  /**
   * Nothing is stored under the connection's client id and it stores nothing itself (a clean
   * session without a will): Aedes's wipes at CONNECT and close are skipped for it. `keepState(client)`
   * records that the id now keeps state; it runs (once) before the connection's first inbound QoS 2
   * message is stored, after which the connection is wiped as any other.
   */
  markStateless(client: ClientRef, keepState: KeepState): void
  isStateless(client: ClientRef): boolean
}

/** Shared by the connections, not a closure per connection (112 bytes of each idle one, bench S3). */
export type KeepState = (client: ClientRef) => Promise<unknown>

/**
 * Aedes wipes a clean session's stored state on every CONNECT ([MQTT-3.1.2-6]: subscriptions,
 * inbound QoS 2 state, the will, the outgoing queue) and its inbound state again at close: five
 * store round trips per connection, a third of the broker's CPU per connect in bench S3 (embedded),
 * for ids that never had anything stored. The client-id owner record knows which ids ever kept
 * state (`ClientIdClaim.stateKept`); for the others these calls answer at once. Patches the
 * instance in place, as `adaptPersistence` does.
 */
export function skipStatelessWipes(persistence: WipeablePersistence): CleanSessions {
  // what keeps the id's state, then (once it runs) the promise of it having run
  const stateless = new WeakMap<ClientRef, KeepState | Promise<void>>()
  const skip =
    <A extends unknown[], R>(method: (client: ClientRef, ...args: A) => R, nothing: () => R) =>
    (client: ClientRef, ...args: A): R =>
      stateless.has(client) ? nothing() : method(client, ...args)
  const done = () => Promise.resolve(undefined)
  persistence.cleanSubscriptions = skip(persistence.cleanSubscriptions.bind(persistence), done)
  persistence.cleanIncoming = skip(persistence.cleanIncoming.bind(persistence), done)
  persistence.delWill = skip(persistence.delWill.bind(persistence), done)
  persistence.outgoingStream = skip(persistence.outgoingStream.bind(persistence), () => Readable.from([]))
  const store = persistence.incomingStorePacket.bind(persistence)
  persistence.incomingStorePacket = async (client, packet) => {
    let entry = stateless.get(client)
    if (typeof entry === 'function') {
      entry = entry(client).then(() => void stateless.delete(client))
      stateless.set(client, entry)
    }
    if (entry) await entry
    return store(client, packet)
  }
  return {
    markStateless: (client, keepState) => void stateless.set(client, keepState),
    isStateless: (client) => stateless.has(client)
  }
}
