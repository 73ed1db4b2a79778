import type { Envelope } from '../../core/message.js'

export interface HistoryQuery {
  /** Only messages with seq < before. */
  before?: number
  /** Only messages with seq > after; switches the order to ascending (catch-up reads). */
  after?: number
  limit: number
}

/**
 * Long-term message history, filled by the persister from the chat log.
 *
 * Guarantees every implementation keeps (checked by `describeHistoryContract`):
 * - `insertMany` is idempotent: `(room, seq)` and `(room, id)` are unique, and replaying
 *   envelopes already stored changes nothing and does not fail.
 * - Relation entries (`edit`, `delete`, `reaction` with a `target`) are stored as entries and
 *   applied to their target (`currentState`): the same result in any order and after any replay;
 *   a delete leaves the target and its edits as tombstones, with no body, attachments or meta.
 * - `list` without `after` returns newest first; with `after` oldest first (seq ascending);
 *   both bounded by `before` and at most `limit`.
 */
export interface HistoryStore {
  insertMany(envelopes: Envelope[]): Promise<void>
  list(room: string, query: HistoryQuery): Promise<Envelope[]>
  close(): Promise<void>
}
