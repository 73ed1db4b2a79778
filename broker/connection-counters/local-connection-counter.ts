import type { ConnectionCounter } from './connection-counter.js'

/** One node: counts in memory; a crash loses them with the connections they counted. */
export class LocalConnectionCounter implements ConnectionCounter {
  private readonly counts = new Map<string, number>()

  async increment(userId: string): Promise<number> {
    const count = (this.counts.get(userId) ?? 0) + 1
    this.counts.set(userId, count)
    return count
  }

  async decrement(userId: string): Promise<number> {
    const count = Math.max((this.counts.get(userId) ?? 0) - 1, 0)
    if (count === 0) this.counts.delete(userId)
    else this.counts.set(userId, count)
    return count
  }

  async online(userIds: string[]): Promise<string[]> {
    return userIds.filter((userId) => (this.counts.get(userId) ?? 0) > 0)
  }

  async reapDeadNodes(): Promise<string[]> {
    return []
  }

  async close(): Promise<void> {}
}
