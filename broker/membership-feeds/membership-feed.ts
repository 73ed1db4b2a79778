export interface MembershipChange {
  roomId: string
  userId: string
  isMember: boolean
}

export interface MembershipListener {
  /** One change, published anywhere (including by this node). */
  change(change: MembershipChange): void
  /**
   * Changes may have been missed (e.g. the feed's connection was down): the subscriber must
   * re-read the memberships it keeps. Called once the feed delivers again, so a change made
   * after the call is started is either in that re-read or delivered to `change`.
   */
  gap(): void
}

/**
 * Carries membership changes to every broker node, so each can update its connected
 * users' rooms (forward-time ACL) within moments of the change.
 */
export interface MembershipFeed {
  publish(change: MembershipChange): Promise<void>
  subscribe(listener: MembershipListener): Promise<void>
  close(): Promise<void>
}
