import type { AedesPublishPacket, Client } from 'aedes'
import { chatRoomOf } from '../../core/topics.js'

type Deliver = (packet: AedesPublishPacket, done: () => void) => void

/** What Aedes 1.2's Client keeps on the instance for its delivery step (lib/client.js). */
interface DeliveringClient {
  clean: boolean
  closed: boolean
  deliverQoS: Deliver
}

/** A message as Aedes stamps it on the node that published it (aedes-packet): one id across the cluster. */
interface Stamped {
  brokerId?: string
  brokerCounter?: number | string
}

const keyOf = (packet: Stamped) => `${packet.brokerId}:${packet.brokerCounter}`

interface Session {
  /** The stored queue is still being resent (CONNECT until 'clientReady'). */
  resending: boolean
  /** Live deliveries that arrived meanwhile, in arrival order. */
  held: AedesPublishPacket[]
  /** The messages resent from the stored queue (at most the persistence's maxSessionDelivery). */
  resent: Set<string>
}

/**
 * A returning persistent session gets its stored messages first, each once, then live ones
 * ([MQTT-4.6.0-6]: one topic, one order). Aedes 1.2 restores the session's subscriptions before
 * it resends the stored queue (lib/handlers/connect.js restoreSubs, then emptyQueue), so a live
 * message could overtake the stored ones, and Aedes queues every message for a persistent
 * subscriber, online or not (aedes.js enqueueOffline): one queued and also emitted reached the
 * session twice, live and from the queue. On a Redis Cluster that is common, not a corner case:
 * a PUBLISH reaches the other Cluster nodes' subscribers later, over the cluster bus, so a message
 * published and acknowledged before the session returned still arrives live after its
 * subscriptions are restored (seen 10-40 ms after the resend, on a loaded machine).
 *
 * Live QoS 1/2 deliveries to a persistent session are held from CONNECT until the stored queue is
 * resent (`ready`, on 'clientReady'), then go out in arrival order; any message that was resent
 * (`resent`, from the persistence's outgoing stream) is not delivered live to that connection.
 * Chat messages are left to SessionReplay, which orders them by seq. Call `watch` from preConnect,
 * before any subscription captures `deliverQoS`.
 */
export class StoredFirst {
  private readonly sessions = new WeakMap<object, Session>()

  watch(client: Client): void {
    const self = client as unknown as DeliveringClient
    const deliver = self.deliverQoS
    if (typeof deliver !== 'function') throw new Error('aedes client changed shape: broker/aedes/stored-first.ts needs updating')
    const session: Session = { resending: true, held: [], resent: new Set() }
    this.sessions.set(client, session)
    self.deliverQoS = function deliverStoredFirst(packet, done) {
      if (self.clean || packet.qos === 0 || chatRoomOf(packet.topic) !== null) return deliver(packet, done)
      if (session.resending) {
        session.held.push(packet)
        return done()
      }
      if (session.resent.has(keyOf(packet))) return done()
      deliver(packet, done)
    }
  }

  /** A stored message the persistence hands Aedes to resend to this connection. */
  resending(client: object, packet: Stamped): void {
    this.sessions.get(client)?.resent.add(keyOf(packet))
  }

  /** The stored queue was resent: what was held goes out, in order, without what was resent. */
  ready(client: Client): void {
    const session = this.sessions.get(client)
    if (!session?.resending) return
    session.resending = false
    const held = session.held
    session.held = []
    for (const packet of held) (client as unknown as DeliveringClient).deliverQoS(packet, () => {})
  }
}
