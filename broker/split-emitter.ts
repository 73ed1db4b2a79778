import { chatRoomOf } from '../core/topics.js'
import { DISCARD_TOPIC } from './context.js'

/** What an emitter hands its subscribers: a packet with a topic, and what Aedes put on it. */
export type EmittedPacket = { topic: string } & Record<string, unknown>
type Listener = (packet: EmittedPacket, done: () => void) => void

/** The part of an mqemitter that Aedes uses. */
export interface Emitter {
  on(topic: string, listener: Listener, done?: () => void): unknown
  removeListener(topic: string, listener: Listener, done?: () => void): unknown
  emit(packet: { topic: string }, done?: (error?: Error) => void): unknown
  close(done: () => void): unknown
}

/**
 * Aedes's message bus, split in two: chat messages (`rooms/{id}/messages`) travel only on the
 * local emitter, fed in log order by every node's own tail of the chat log; everything else
 * (inbox, events, presence, typing, generic topics, $SYS) goes through the cluster emitter.
 * With no cluster emitter (one node) the local one carries everything.
 */
export class SplitEmitter implements Emitter {
  constructor(
    private readonly local: Emitter,
    private readonly cluster: Emitter = local
  ) {}

  private both(call: (emitter: Emitter, done: () => void) => void, done?: () => void): void {
    if (this.cluster === this.local) {
      call(this.local, done ?? (() => {}))
      return
    }
    let waiting = 2
    const one = () => {
      waiting -= 1
      if (waiting === 0) done?.()
    }
    call(this.local, one)
    call(this.cluster, one)
  }

  /** Filters that can only match chat messages (`rooms/{id}/messages`, `rooms/+/messages`) need no cluster subscription. */
  on(topic: string, listener: Listener, done?: () => void): void {
    if (chatRoomOf(topic) !== null) this.local.on(topic, listener, done)
    else this.both((emitter, next) => emitter.on(topic, listener, next), done)
  }

  removeListener(topic: string, listener: Listener, done?: () => void): void {
    if (chatRoomOf(topic) !== null) this.local.removeListener(topic, listener, done)
    else this.both((emitter, next) => emitter.removeListener(topic, listener, next), done)
  }

  /**
   * A discarded publish (every chat send: the message travels through the log, not as the sender's
   * packet) reaches no one, so it is not emitted at all: on a cluster it was one Redis PUBLISH per
   * chat message, received and decoded by every node.
   */
  emit(packet: { topic: string }, done?: (error?: Error) => void): void {
    if (packet.topic === DISCARD_TOPIC) {
      done?.()
      return
    }
    ;(chatRoomOf(packet.topic) === null ? this.cluster : this.local).emit(packet, done)
  }

  /** Delivers a chat message to this node's subscribers only. */
  emitLocal(packet: { topic: string }, done?: (error?: Error) => void): void {
    this.local.emit(packet, done)
  }

  close(done: () => void): void {
    this.local.close(() => (this.cluster === this.local ? done() : this.cluster.close(done)))
  }
}
