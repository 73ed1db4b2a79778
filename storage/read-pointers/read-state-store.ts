/** What the unread counters need of one sequenced entry of a room's stream. */
export interface CountedEntry {
  seq: number
  from: string
  /** A message others see as unread: not a relation entry (edit, delete, reaction). */
  countable: boolean
  /** Members named `@userId` in the body (never the sender); each counts as a mention for that user. */
  mentions: string[]
}

/** A user's position in one room. */
export interface ReadCounts {
  /** The user's read pointer: every entry up to it is read (0 before the first read). */
  readSeq: number
  /** Countable entries after `readSeq` from others. */
  unread: number
  /** Mentions of the user after `readSeq`. */
  mentions: number
}

/** A read pointer after `markRead`, and whether the call moved it. */
export interface ReadMark {
  readSeq: number
  moved: boolean
}

export interface Receipt {
  userId: string
  readSeq: number
}

/**
 * Read pointers and unread counters per (user, room), durable and cluster-wide.
 *
 * Counters, not counting queries: `counts` costs the same for 1 and for 100,000 unread entries
 * (cumulative counters keyed by seq, read at the pointer and at the end).
 *
 * Guarantees every implementation keeps (checked by `describeReadStateContract`):
 * - `record` takes a room's entries in seq order, each once: entries up to `recordedSeq` are
 *   skipped (so replaying is harmless), and entries that would leave a gap after `recordedSeq`
 *   are refused as a whole (`false`, nothing stored) so the caller fills the gap first.
 * - `markRead` never moves a pointer back; it answers the pointer after the call and whether it moved.
 * - `counts` answers the countable entries from others and the mentions after the pointer.
 * - `readers` lists every user with a pointer in the room, in user id order.
 */
export interface ReadStateStore {
  /** The highest seq `record` has taken for the room, 0 for none. */
  recordedSeq(room: string): Promise<number>
  record(room: string, entries: CountedEntry[]): Promise<boolean>
  markRead(userId: string, room: string, seq: number): Promise<ReadMark>
  counts(userId: string, room: string): Promise<ReadCounts>
  readers(room: string): Promise<Receipt[]>
  close(): Promise<void>
}
