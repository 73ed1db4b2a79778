declare module 'aedes-persistence-level/asyncPersistence.js' {
  import type { ClassicLevel } from 'classic-level'

  /** The async (aedes 1.x) persistence of aedes-persistence-level; its package main is the callback one. */
  export default class AsyncLevelPersistence {
    constructor(db: ClassicLevel)
    setup(broker: unknown): Promise<void>
    createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: unknown }>
    outgoingUpdate(client: { id: string }, packet: unknown): Promise<unknown>
    outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<unknown>
    outgoingStream(client: { id: string }): import('node:stream').Readable
    cleanSubscriptions(client: { id: string }): Promise<void>
    cleanIncoming(client: { id: string }): Promise<void>
    delWill(client: { id: string }): Promise<unknown>
    incomingStorePacket(client: { id: string }, packet: unknown): Promise<void>
    destroy(): Promise<void>
  }
}

declare module 'aedes-persistence-redis/asyncPersistence.js' {
  import type { Cluster, Redis } from 'ioredis'

  /** The async (aedes 1.x) persistence of aedes-persistence-redis; its package main is the callback one. */
  export default class AsyncRedisPersistence {
    constructor(options: { conn?: Redis | Cluster; maxSessionDelivery?: number })
    setup(broker: unknown): Promise<void>
    createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: unknown }>
    outgoingUpdate(client: { id: string }, packet: unknown): Promise<unknown>
    outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<unknown>
    outgoingStream(client: { id: string }): import('node:stream').Readable
    cleanSubscriptions(client: { id: string }): Promise<void>
    cleanIncoming(client: { id: string }): Promise<void>
    delWill(client: { id: string }): Promise<unknown>
    incomingStorePacket(client: { id: string }, packet: unknown): Promise<void>
    destroy(): Promise<void>
  }
}

declare module 'mqemitter-redis' {
  /** An mqemitter over Redis pub/sub; takes ioredis options. */
  export default class MQEmitterRedis {
    constructor(options: Record<string, unknown>)
    /** Emits 'error' for its connections' errors; with no listener, one ends the process. */
    state: import('node:events').EventEmitter
    close(callback: () => void): void
  }
}

declare module 'aedes-packet' {
  /** Aedes's packet: copies a publish and stamps it with the broker id and a per-broker counter. */
  export default class Packet {
    constructor(original: Record<string, unknown>, broker?: unknown)
  }
}

declare module 'mqemitter' {
  /** Aedes's in-process message bus. */
  export default function mqemitter(options?: { concurrency?: number; matchEmptyLevels?: boolean }): unknown
}

declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0–16383) of a key, honouring its `{hash tag}`. */
  export default function calculateSlot(key: string): number
}
