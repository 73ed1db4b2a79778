declare module 'aedes-persistence-level/asyncPersistence.js' {
  import type { ClassicLevel } from 'classic-level'

  /** The async (aedes 1.x) persistence of aedes-persistence-level; its package main is the callback one. */
  export default class AsyncLevelPersistence {
    constructor(db: ClassicLevel)
    setup(broker: unknown): Promise<void>
    createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: unknown }>
    destroy(): Promise<void>
  }
}

declare module 'aedes-persistence-redis/asyncPersistence.js' {
  import type { Redis } from 'ioredis'

  /** The async (aedes 1.x) persistence of aedes-persistence-redis; its package main is the callback one. */
  export default class AsyncRedisPersistence {
    constructor(options: { conn?: Redis; maxSessionDelivery?: number })
    setup(broker: unknown): Promise<void>
    createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: unknown }>
    destroy(): Promise<void>
  }
}

declare module 'mqemitter-redis' {
  /** An mqemitter over Redis pub/sub; takes ioredis options. */
  export default class MQEmitterRedis {
    constructor(options: Record<string, unknown>)
    close(callback: () => void): void
  }
}
