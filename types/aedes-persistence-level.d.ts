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
