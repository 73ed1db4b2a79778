import { type Envelope, isRelationType } from '../../core/message.js'
import type { ChatLog } from '../chat-log/chat-log.js'
import type { HistoryStore } from '../history/history-store.js'
import type { CountedEntry, ReadMark, ReadStateStore, Receipt } from './read-state-store.js'

/** Most users one message can mention: a body of `@a @b @c …` must not fan out to a whole room. */
export const MAX_MENTIONS = 20

const MENTION = /(?<![A-Za-z0-9_-])@([A-Za-z0-9_-]{1,64})(?![A-Za-z0-9_-])/g

const NOBODY: ReadonlySet<string> = new Set()

interface QueuedEntry {
  entry: CountedEntry
  resolve(): void
  reject(error: unknown): void
}

/** Entries read per step while filling the counters' gap from the log. */
const CATCH_UP_PAGE = 500

/** A room as GET /v1/rooms shows its read state to one user. */
export interface RoomReadSummary {
  lastSeq: number
  readSeq: number
  unread: number
  mentions: number
}

/** Members named `@userId` in a message body, first ones first, never the sender, at most `MAX_MENTIONS`. */
export function mentionsIn(envelope: Envelope, members: ReadonlySet<string>): string[] {
  if (isRelationType(envelope.type)) return []
  const found = new Set<string>()
  for (const match of envelope.body.matchAll(MENTION)) {
    const userId = match[1] as string
    if (userId !== envelope.from && members.has(userId)) found.add(userId)
    if (found.size === MAX_MENTIONS) break
  }
  return [...found]
}

export interface ReadTrackerDeps {
  store: ReadStateStore
  chatLog: ChatLog
  history: HistoryStore
  membersOf(room: string): Promise<string[]>
}

/**
 * Keeps the unread counters in step with the chat log. The node that appended a message records it
 * right after the append (`appended`); that step is idempotent and in seq order per room, so a node
 * that crashed in between, or two nodes finishing their appends out of order, leave at most a gap that
 * the next `appended` or `summary` of the room fills from the log (or from history once the log is trimmed).
 */
export class ReadTracker {
  private readonly queues = new Map<string, QueuedEntry[]>()

  constructor(private readonly deps: ReadTrackerDeps) {}

  /**
   * Records a freshly appended message; answers its counted entry (with the mentions to notify).
   * Appends that finish while a room's record is under way are recorded together, in seq order: one
   * store write for many messages, and no catch-up read of the log for appends that merely overlapped
   * (both were a per-message cost the S1 fan-out bench showed, tripling the broker's CPU per delivery).
   */
  async appended(envelope: Envelope): Promise<CountedEntry> {
    // the room's members are read only when the body could mention one
    const members =
      envelope.body.includes('@') && !isRelationType(envelope.type) ? new Set(await this.deps.membersOf(envelope.room)) : NOBODY
    const entry = this.entryOf(envelope, members)
    await this.enqueue(envelope.room, entry)
    return entry
  }

  private enqueue(room: string, entry: CountedEntry): Promise<void> {
    let queue = this.queues.get(room)
    if (!queue) {
      queue = []
      this.queues.set(room, queue)
    }
    const first = queue.length === 0
    const done = new Promise<void>((resolve, reject) => queue.push({ entry, resolve, reject }))
    if (first) void this.drain(room, queue)
    return done
  }

  /** Records the room's queued entries batch by batch until none is left. */
  private async drain(room: string, queue: QueuedEntry[]): Promise<void> {
    while (queue.length > 0) {
      const batch = [...queue].sort((a, b) => a.entry.seq - b.entry.seq)
      const entries = batch.map((queued) => queued.entry)
      const last = entries[entries.length - 1]?.seq ?? 0
      try {
        if (!(await this.deps.store.record(room, entries))) await this.catchUp(room, last)
        for (const queued of batch) queued.resolve()
      } catch (error) {
        for (const queued of batch) queued.reject(error)
      }
      queue.splice(0, batch.length)
    }
    this.queues.delete(room)
  }

  async summary(userId: string, room: string): Promise<RoomReadSummary> {
    const [lastSeq, recorded] = await Promise.all([this.deps.chatLog.lastSeq(room), this.deps.store.recordedSeq(room)])
    if (recorded < lastSeq) await this.catchUp(room, lastSeq)
    return { lastSeq, ...(await this.deps.store.counts(userId, room)) }
  }

  /** `summary` of each room, in the order given. */
  summaries(userId: string, rooms: readonly string[]): Promise<RoomReadSummary[]> {
    return Promise.all(rooms.map((room) => this.summary(userId, room)))
  }

  /** Moves the user's pointer forward to `seq` (no further than the room's last seq). */
  async markRead(userId: string, room: string, seq: number): Promise<ReadMark> {
    const lastSeq = await this.deps.chatLog.lastSeq(room)
    return this.deps.store.markRead(userId, room, Math.min(seq, lastSeq))
  }

  /** The read pointers of the room's current members ("seen by"). */
  async receipts(room: string, members: readonly string[]): Promise<Receipt[]> {
    const current = new Set(members)
    return (await this.deps.store.readers(room)).filter((receipt) => current.has(receipt.userId))
  }

  private entryOf(envelope: Envelope, members: ReadonlySet<string>): CountedEntry {
    return { seq: envelope.seq, from: envelope.from, countable: !isRelationType(envelope.type), mentions: mentionsIn(envelope, members) }
  }

  private async catchUp(room: string, upTo: number): Promise<void> {
    const members = new Set(await this.deps.membersOf(room))
    let recorded = await this.deps.store.recordedSeq(room)
    while (recorded < upTo) {
      const envelopes = await this.readAfter(room, recorded, Math.min(CATCH_UP_PAGE, upTo - recorded))
      if (envelopes.length === 0) throw new Error(`room ${room}: entries after seq ${recorded} are neither in the chat log nor in history`)
      await this.deps.store.record(
        room,
        envelopes.map((envelope) => this.entryOf(envelope, members))
      )
      const now = await this.deps.store.recordedSeq(room)
      if (now <= recorded) throw new Error(`room ${room}: the counters did not advance past seq ${recorded}`)
      recorded = now
    }
  }

  /** The log first; history when the log no longer holds the next entry (trimmed after persisting). */
  private async readAfter(room: string, after: number, limit: number): Promise<Envelope[]> {
    const fromLog = await this.deps.chatLog.read(room, after, limit)
    if (fromLog[0]?.seq === after + 1) return fromLog
    return this.deps.history.list(room, { after, limit })
  }
}
