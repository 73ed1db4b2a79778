import type { MembershipChange, MembershipFeed, MembershipListener } from './membership-feed.js'

/** One process: listeners are called synchronously, before `publish` resolves; nothing is ever missed. */
export class LocalMembershipFeed implements MembershipFeed {
  private readonly listeners = new Set<MembershipListener>()

  async publish(change: MembershipChange): Promise<void> {
    for (const listener of this.listeners) listener.change(change)
  }

  async subscribe(listener: MembershipListener): Promise<void> {
    this.listeners.add(listener)
  }

  async close(): Promise<void> {
    this.listeners.clear()
  }
}
