export interface MembershipChange {
  roomId: string
  userId: string
  isMember: boolean
}

/**
 * Carries membership changes to every broker node, so each can update its connected
 * users' rooms (forward-time ACL) within moments of the change.
 */
export interface MembershipFeed {
  publish(change: MembershipChange): Promise<void>
  /** Every change published anywhere, including by this node. */
  subscribe(listener: (change: MembershipChange) => void): Promise<void>
  close(): Promise<void>
}
