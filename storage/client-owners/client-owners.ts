/**
 * Who owns each MQTT client id: the user whose connection first presented it (MQTT 3.1.1 §3.1.3.1
 * ties a session to its client id, so whoever may present an id may end, wipe or read its session).
 * A connection of another user presenting an owned id is refused before Aedes touches the session.
 *
 * Guarantees every implementation keeps (checked by `describeClientOwnersContract`):
 * - `claim` is atomic: of concurrent claims of a free id by different owners, exactly one wins,
 *   and every claim answers the owner that holds the id afterwards.
 * - A claim by the owner renews the ownership; an id unclaimed for `ttlSeconds` is free again.
 * - Ownership survives a restart.
 */
export interface ClientOwners {
  /** Claims `clientId` for `owner` if it is free or already theirs; resolves with the owner that holds it now. */
  claim(clientId: string, owner: string): Promise<string>
  close(): Promise<void>
}

/** The owner recorded for connections without a token (anonymous generic-topic clients). */
export const ANONYMOUS_OWNER = '$anonymous'
