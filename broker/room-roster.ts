/** Reads a room's members from the accounts store (empty for a room that does not exist). */
export type MembersLoader = (roomId: string) => Promise<string[]>

/** The chat log's live feed of a room (ChatLog.follow/unfollow); `follow` must not reject. */
export interface RoomFeedHandle {
  follow(roomId: string): Promise<void>
  unfollow(roomId: string): void
}

const NO_FEED: RoomFeedHandle = { follow: async () => {}, unfollow: () => {} }

interface TrackedRoom {
  members: Set<string>
  /** Connected users of this node who are members: the room is dropped when none is left. */
  refs: number
  /** Set while the members are being read: changes seen meanwhile, replayed over what was read. */
  journal: Map<string, boolean> | null
  loaded: Promise<void>
}

/**
 * The members of every room a user connected to this node is in, kept current from the membership
 * feed. Presence is delivered only to users who share a room with its subject (issue 6 item 8),
 * and that is decided synchronously at forward time, so the member lists are held here.
 * The same rooms are the ones this node is fed (SPEC §10): a room is followed from its first
 * `track` to its last `untrack`, and `track` resolves once its feed runs.
 */
export class RoomRoster {
  private readonly rooms = new Map<string, TrackedRoom>()

  constructor(
    private readonly loadMembers: MembersLoader,
    private readonly onLoadFailed: (roomId: string, error: unknown) => void,
    private readonly feed: RoomFeedHandle = NO_FEED
  ) {}

  /**
   * One more connected member of the room; resolves once its member list is known and its feed runs.
   * `members`: the list as just read with the user's rooms, so a new room needs no read of its own.
   */
  track(roomId: string, members?: string[]): Promise<void> {
    const tracked = this.rooms.get(roomId)
    if (tracked) {
      tracked.refs += 1
      return tracked.loaded
    }
    const room: TrackedRoom = { members: new Set(), refs: 1, journal: new Map(), loaded: Promise.resolve() }
    const loading = (members ? Promise.resolve(members) : this.loadMembers(roomId)).then(
      (members) => {
        const journal = room.journal ?? new Map<string, boolean>()
        room.journal = null
        room.members = new Set(members)
        for (const [userId, isMember] of journal) this.apply(room, userId, isMember)
      },
      (error: unknown) => {
        // fails closed: only members added since are known, so presence reaches fewer users
        room.journal = null
        this.onLoadFailed(roomId, error)
      }
    )
    room.loaded = Promise.all([loading, this.feed.follow(roomId)]).then(() => {})
    this.rooms.set(roomId, room)
    return room.loaded
  }

  untrack(roomId: string): void {
    const room = this.rooms.get(roomId)
    if (room && --room.refs <= 0) {
      this.rooms.delete(roomId)
      this.feed.unfollow(roomId)
    }
  }

  changed(roomId: string, userId: string, isMember: boolean): void {
    const room = this.rooms.get(roomId)
    if (!room) return
    room.journal?.set(userId, isMember)
    this.apply(room, userId, isMember)
  }

  /**
   * Re-reads the members of every tracked room (after a gap in the membership feed, when changes
   * of users not connected here may have been missed). A change seen while a room is re-read is
   * applied again over what was read. Rejects if a read failed; those rooms keep their old lists.
   */
  async refresh(): Promise<void> {
    const failures: unknown[] = []
    await Promise.all(
      [...this.rooms].map(([roomId, room]) =>
        this.reload(roomId, room).catch((error: unknown) => {
          failures.push(error)
        })
      )
    )
    if (failures.length > 0) throw new AggregateError(failures, `re-reading the members of ${failures.length} rooms failed`)
  }

  /** Resolves once a tracked room's members are known and its feed runs (at once for an untracked room). */
  ready(roomId: string): Promise<void> {
    return this.rooms.get(roomId)?.loaded ?? Promise.resolve()
  }

  has(roomId: string, userId: string): boolean {
    return this.rooms.get(roomId)?.members.has(userId) ?? false
  }

  private async reload(roomId: string, room: TrackedRoom): Promise<void> {
    await room.loaded
    if (this.rooms.get(roomId) !== room) return
    const journal = new Map<string, boolean>()
    room.journal = journal
    try {
      const members = await this.loadMembers(roomId)
      room.members = new Set(members)
      for (const [userId, isMember] of journal) this.apply(room, userId, isMember)
    } finally {
      if (room.journal === journal) room.journal = null
    }
  }

  private apply(room: TrackedRoom, userId: string, isMember: boolean): void {
    if (isMember) room.members.add(userId)
    else room.members.delete(userId)
  }
}
