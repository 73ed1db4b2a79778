import type { ChatInput, Envelope } from '../../core/message.js'

/** A message about to be sequenced: the validated input plus who sent it and where. */
export interface NewMessage extends ChatInput {
  room: string
  from: string
  /**
   * A delete's target as the sender's checks found it (from history when the log no longer holds
   * it): a log that trims its room streams (Redis) keeps its tombstone all the same, so reads and
   * history pages answer the tombstone before the persisters purge history.
   */
  deletes?: Envelope
}

export interface AppendResult {
  envelope: Envelope
  /** The envelope serialized once, ready to publish as the MQTT payload. */
  payload: string
  /** True when `(room, id)` was appended before: same envelope, nothing new stored. */
  duplicate: boolean
}

/** One appended message as seen by `tail`: the envelope and its serialized payload. */
export interface TailEntry {
  envelope: Envelope
  payload: string
}

/** One log entry as handed to a consumer (the persister). */
export interface LogEntry {
  /** Opaque, increasing position in the log; passed back to `ack`. */
  position: string
  envelope: Envelope
}

/**
 * One consumer group's view of the log: every entry appended after the group was first used,
 * at least once, with the same fetch/ack/claim semantics as the chat log's own (persister) group.
 * Groups are independent: what one acknowledges another still fetches.
 */
export interface ConsumerGroup {
  fetch(consumer: string, count: number, blockMs: number, signal?: AbortSignal): Promise<LogEntry[]>
  ack(positions: string[]): Promise<void>
  pendingCount(): Promise<number>
  /** Entries appended but not yet acknowledged by this group. */
  backlog(): Promise<number>
}

/**
 * The chat log and per-room sequencer: the durable record every message passes
 * before it is acknowledged to its sender.
 *
 * Guarantees every implementation keeps (checked by `describeChatLogContract`):
 * - `append` resolves only once the message is durably stored; a process crash after that loses nothing.
 * - Per room, `seq` runs 1, 2, 3, … with no gap and no reuse, also across restarts and concurrent appends.
 * - Appending an existing `(room, id)` from the same sender resolves with the first envelope and
 *   `duplicate: true`, also when both appends are in flight at once; from another sender it rejects
 *   with MqchatError `id_taken` and never hands out the first sender's message.
 * - A message that cannot be stored (e.g. not serializable) rejects alone with MqchatError
 *   `invalid_message`, before it takes a seq; the messages appended with it are unaffected.
 * - Appending a `delete` (SPEC §4b) replaces its target's entry and the entries of the target's
 *   edits by tombstones (`tombstoneOf`) in the same atomic write: `read` and a duplicate's answer
 *   never return their bodies again. A relation whose target is already tombstoned rejects with
 *   MqchatError `bad_target` before it takes a seq. (Entries already handed to consumers and `tail`
 *   listeners are theirs; the persisters apply the delete to history.)
 * - Consumers see every appended entry at least once, in append order per room, until they `ack`
 *   it; entries fetched but not acked are fetched again after a restart, and entries a consumer
 *   fetched but has not acked for `claimIdleMs` are handed to the next consumer that fetches.
 * - `tail` listeners see every entry of a room this node follows (`follow`) that was appended
 *   anywhere after the `follow` resolved, once, in seq order per room, also across a lost live feed
 *   (a skipped seq is read back from the room's stream before anything later is handed out).
 *   Entries of rooms not followed may or may not be handed out (the embedded log hands out all).
 */
export interface ChatLog {
  append(message: NewMessage): Promise<AppendResult>
  /** Messages of a room with `seq > afterSeq`, ascending, at most `limit`. */
  read(room: string, afterSeq: number, limit: number): Promise<Envelope[]>
  /** The room's highest assigned seq, 0 for a room with no messages. */
  lastSeq(room: string): Promise<number>
  /**
   * Calls `listener` with every entry of the followed rooms appended (on any node) after their
   * `follow` resolved, in seq order per room; resolves with the unsubscribe function.
   */
  tail(listener: (entry: TailEntry) => void): Promise<() => void>
  /**
   * Starts this node's live feed of `room` (SPEC §10: a node is fed only the rooms it serves).
   * Resolves once every later append reaches the `tail` listeners. Calls nest: the feed stops at
   * the `unfollow` matching the first `follow`.
   */
  follow(room: string): Promise<void>
  /** Ends one `follow` of `room`. */
  unfollow(room: string): void
  /**
   * Entries not yet fetched by this consumer group, oldest first, at most `count`.
   * Waits up to `blockMs` for new entries when there are none; `signal` ends the wait early.
   */
  fetch(consumer: string, count: number, blockMs: number, signal?: AbortSignal): Promise<LogEntry[]>
  /** Marks entries as persisted downstream; they are not fetched again. */
  ack(positions: string[]): Promise<void>
  /** Entries fetched but not yet acknowledged. */
  pendingCount(): Promise<number>
  /** Entries appended but not yet acknowledged by the consumer group: how far the persisters lag. */
  backlog(): Promise<number>
  /**
   * A second, named consumer group (e.g. `push`) beside the persisters' one. It sees every entry
   * appended once it is in use: embedded, from the `group(name)` call of this process on (call it
   * before appending; unacked entries of an earlier run are kept and fetched first); in the
   * cluster, from the group's first fetch by any process on (Redis keeps the group).
   */
  group(name: string): ConsumerGroup
  close(): Promise<void>
}
