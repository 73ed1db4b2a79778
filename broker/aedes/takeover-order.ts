import type { EmittedPacket, Emitter } from '../split-emitter.js'

type Listener = (packet: EmittedPacket, done: () => void) => void

/** The part of an Aedes broker `attach` uses: its id, and the registration and end of its connections. */
export interface Announcer {
  id: string
  on(event: 'client' | 'clientDisconnect', listener: (client: { id: string }) => void): unknown
}

/** Aedes 1.2's takeover notice, `$SYS/{brokerId}/new/clients` with the client id as payload (aedes.js _finishRegisterClient). */
const NOTICES = '$SYS/+/new/clients'
const NOTICE = /^\$SYS\/[^/]+\/new\/clients$/

/**
 * The one Redis channel every node's takeover notices are published on (they keep their topics: the
 * channel only routes). It matches the pattern the nodes subscribe to for `$SYS/+/new/clients`.
 */
export const TAKEOVER_CHANNEL = '$SYS/-/new/clients'

/** The channel a cluster emitter publishes a message of `channel` on: takeover notices all on one. */
export function takeoverChannel(channel: string): string {
  return NOTICE.test(channel) ? TAKEOVER_CHANNEL : channel
}

/**
 * A notice of this node not back after this long was lost (pub/sub is at most once: a subscriber
 * reconnecting misses messages); notices of other nodes take over again.
 */
const LOST_AFTER_MS = 60_000

interface Announcing {
  /** This node's notices for the id published and not yet received back. */
  count: number
  /** When the last of them was published. */
  since: number
}

/**
 * A connection registered on one node closes the connection of the same client id on the others
 * ([MQTT-3.1.4-2]): Aedes 1.2 publishes a notice, and every other node closes its connection of that
 * id when the notice arrives, however late. On a Redis Cluster a notice travels over the cluster bus,
 * and on a loaded machine it arrived after the session had already moved on: a device that
 * disconnected from node B and returned on node A was closed on A by B's notice of its *earlier*
 * connection, in the middle of resending its queued messages (test/integration/redis-cluster-sessions.test.ts
 * got 1 of 5; reproduced with the Cluster's replicas paused 0.8 s at a time under CPU load: 1 round of 80
 * closed by Aedes's closeSameClients, 0 of 250 with this).
 *
 * So the notices are ordered: every node publishes them on one channel (`takeoverChannel`, from one
 * Cluster master, `publishInOrder`), which every node receives in the same order, its own notices
 * included. A notice of another node for an id connected here takes over only if this node's own
 * notice of that connection came back before it (the other connection is the later one); one that
 * arrives while this node's notice is still on its way was published before it, and is ignored. Both
 * nodes see the same order, so exactly one connection, the last announced, stays.
 */
export class TakeoverOrder {
  private readonly announcing = new Map<string, Announcing>()
  private brokerId: string | null = null

  constructor(private readonly now: () => number = Date.now) {}

  /** The emitter to give Aedes: its takeover listener is ordered by this. */
  watch(emitter: Emitter): Emitter {
    const guarded = new WeakMap<Listener, Listener>()
    const wrap = (topic: string, listener: Listener): Listener => {
      if (topic !== NOTICES) return listener
      let guard = guarded.get(listener)
      if (!guard) {
        guard = (packet, done) => (this.takesOver(packet) ? listener(packet, done) : done())
        guarded.set(listener, guard)
      }
      return guard
    }
    return {
      on: (topic, listener, done) => emitter.on(topic, wrap(topic, listener), done),
      removeListener: (topic, listener, done) => emitter.removeListener(topic, wrap(topic, listener), done),
      emit: (packet, done) => emitter.emit(packet, done),
      close: (done) => emitter.close(done)
    }
  }

  /** Counts this node's notices: Aedes emits 'client' just before it publishes one. */
  attach(aedes: Announcer): void {
    this.brokerId = aedes.id
    aedes.on('client', (client) => {
      const entry = this.announcing.get(client.id)
      if (entry) {
        entry.count += 1
        entry.since = this.now()
      } else this.announcing.set(client.id, { count: 1, since: this.now() })
    })
    // what lost notices left behind goes with the connection
    aedes.on('clientDisconnect', (client) => {
      const entry = this.announcing.get(client.id)
      if (entry && this.now() - entry.since >= LOST_AFTER_MS) this.announcing.delete(client.id)
    })
  }

  /** Whether a notice goes to Aedes's listener; this node's own come back here and are counted off. */
  private takesOver(packet: EmittedPacket): boolean {
    const clientId = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload)
    const entry = this.announcing.get(clientId)
    if (packet.topic.split('/')[1] === this.brokerId) {
      if (entry && --entry.count <= 0) this.announcing.delete(clientId)
      return true
    }
    if (!entry) return true
    if (this.now() - entry.since < LOST_AFTER_MS) return false
    this.announcing.delete(clientId)
    return true
  }
}
