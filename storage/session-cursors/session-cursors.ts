/**
 * Where each persistent MQTT session stands in each room: the highest seq it has acknowledged.
 * Missed messages are replayed from the chat log after it, instead of being copied into a
 * queue per offline subscriber.
 *
 * Guarantees every implementation keeps (checked by `describeSessionCursorsContract`):
 * - `advance` never moves a cursor backwards; `init` sets only cursors that do not exist yet.
 * - `clear` forgets every cursor of the session; all survive a restart.
 */
export interface SessionCursors {
  get(sessionId: string): Promise<Map<string, number>>
  /** Sets the cursors that are missing (a new subscription starts at the room's current seq). */
  init(sessionId: string, cursors: Map<string, number>): Promise<void>
  /** Moves cursors forward (acknowledged deliveries). */
  advance(sessionId: string, cursors: Map<string, number>): Promise<void>
  clear(sessionId: string): Promise<void>
  close(): Promise<void>
}
