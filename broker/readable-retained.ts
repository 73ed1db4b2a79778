import { Readable } from 'node:stream'

interface RetainedStreams {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: unknown }>
}

/**
 * Aedes 1.2 calls `.pipe()` on `createRetainedStreamCombi()` when it answers a SUBSCRIBE, but
 * aedes-persistence-redis 12 returns an async generator there, which crashes the process on the
 * first subscribe. Wraps the generator in a Readable (still async-iterable).
 */
export function withReadableRetained<T extends RetainedStreams>(persistence: T): T {
  const combi = persistence.createRetainedStreamCombi.bind(persistence)
  persistence.createRetainedStreamCombi = (patterns: string[]) => Readable.from(combi(patterns))
  return persistence
}
