import type { MembershipChange, MembershipFeed } from './membership-feed.js'

/** One process: listeners are called synchronously, before `publish` resolves. */
export class LocalMembershipFeed implements MembershipFeed {
  private readonly listeners = new Set<(change: MembershipChange) => void>()

  async publish(change: MembershipChange): Promise<void> {
    for (const listener of this.listeners) listener(change)
  }

  async subscribe(listener: (change: MembershipChange) => void): Promise<void> {
    this.listeners.add(listener)
  }

  async close(): Promise<void> {
    this.listeners.clear()
  }
}
