import type { Revocation, RevocationFeed } from './revocation-feed.js'

/** One process: listeners are called synchronously, before `publish` resolves. */
export class LocalRevocationFeed implements RevocationFeed {
  private readonly listeners = new Set<(revocation: Revocation) => void>()

  async publish(revocation: Revocation): Promise<void> {
    for (const listener of this.listeners) listener(revocation)
  }

  async subscribe(listener: (revocation: Revocation) => void): Promise<void> {
    this.listeners.add(listener)
  }

  async close(): Promise<void> {
    this.listeners.clear()
  }
}
