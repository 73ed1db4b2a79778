/** Counts a user's open connections across all nodes: presence is online while the count is above 0. */
export interface ConnectionCounter {
  /** Returns the count after adding one connection. */
  increment(userId: string): Promise<number>
  /** Returns the count after removing one connection (never below 0). */
  decrement(userId: string): Promise<number>
  /** Those of `userIds` with at least one open connection on any node (in the order given). */
  online(userIds: string[]): Promise<string[]>
  /**
   * Forgets the connections of nodes that stopped without saying so (crashed) and returns the
   * users left with none, whose presence is now offline. Called periodically by every node.
   */
  reapDeadNodes(): Promise<string[]>
  /** Stops this node's heartbeat, if it keeps one. */
  close(): Promise<void>
}
