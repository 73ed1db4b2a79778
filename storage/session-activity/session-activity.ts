/**
 * When each persistent MQTT session (clean=false) was last seen: at its CONNECT, at its
 * disconnect, and while connected at every refresh of the node holding it. Sessions not seen for
 * `MQCHAT_SESSION_EXPIRY` are removed with everything kept for them (SPEC §10: unused persistent
 * sessions expire, so Redis memory does not grow with devices that never come back).
 *
 * Guarantees every implementation keeps (checked by `describeSessionActivityContract`):
 * - `seen` records the time given, replacing any earlier record of the session; `forget` removes it.
 * - `adopt` records the time given only for sessions without a record (sessions stored before expiry existed).
 * - `idleSince(cutoff, limit)` lists at most `limit` sessions last seen at or before `cutoff`, oldest first.
 * - `claimExpired` is atomic: it forgets the session only if it is still last seen at or before
 *   `cutoff` (a session seen again since is kept), and of concurrent claims exactly one gets true.
 * - `lease(holder, ms)`: at most one holder at a time until it lapses (the sweep runs on one node).
 * - Records survive a restart.
 */
export interface SessionActivity {
  seen(sessionIds: readonly string[], at: number): Promise<void>
  adopt(sessionIds: readonly string[], at: number): Promise<void>
  idleSince(cutoff: number, limit: number): Promise<string[]>
  claimExpired(sessionId: string, cutoff: number): Promise<boolean>
  forget(sessionId: string): Promise<void>
  /** True when `holder` holds the sweep lease now (taken or renewed for `ms`). */
  lease(holder: string, ms: number): Promise<boolean>
  close(): Promise<void>
}
