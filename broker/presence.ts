import type { Aedes } from 'aedes'
import { type Presence, presenceSchema } from '../core/message.js'
import { topics } from '../core/topics.js'
import type { ConnectionCounter } from './connection-counters/connection-counter.js'

export interface PresenceTracker {
  /** Counts one more connection of the user (on any node) and returns how many it has now. */
  connected(userId: string): Promise<number>
  disconnected(userId: string): void
  /** After a crash, retained "online" states are stale: nobody is connected to a node that just started. */
  resetStale(): Promise<number>
  /** Publishes offline for users whose only connections were on nodes that died. */
  sweep(): Promise<number>
}

/** The part of an Aedes persistence that lists retained messages. */
export interface RetainedSource {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: unknown }>
}

/**
 * Retained `presence/{userId}`: online while any of the user's devices is connected
 * (the counter counts them, across nodes in a cluster), offline when the last one leaves,
 * cleanly or not.
 */
export function createPresenceTracker(aedes: Aedes, retained: RetainedSource, counter: ConnectionCounter): PresenceTracker {
  const publish = (userId: string, status: Presence['status']) =>
    new Promise<void>((resolve) => {
      const payload = Buffer.from(JSON.stringify({ status, ts: Date.now() } satisfies Presence))
      aedes.publish({ cmd: 'publish', topic: topics.presence(userId), payload, qos: 1, retain: true, dup: false }, () => resolve())
    })

  return {
    async connected(userId) {
      const count = await counter.increment(userId)
      if (count === 1) void publish(userId, 'online')
      return count
    },
    disconnected(userId) {
      counter.decrement(userId).then(
        (count) => (count === 0 ? publish(userId, 'offline') : undefined),
        () => undefined
      )
    },
    async sweep() {
      const offline = await counter.reapDeadNodes()
      await Promise.all(offline.map((userId) => publish(userId, 'offline')))
      return offline.length
    },
    async resetStale() {
      let reset = 0
      for await (const packet of retained.createRetainedStreamCombi(['presence/+'])) {
        const state = presenceSchema.safeParse(safeJson(packet.payload))
        if (state.success && state.data.status === 'online') {
          await publish(packet.topic.slice('presence/'.length), 'offline')
          reset += 1
        }
      }
      return reset
    }
  }
}

function safeJson(payload: unknown): unknown {
  try {
    return JSON.parse(String(payload))
  } catch {
    return null
  }
}
