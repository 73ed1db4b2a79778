/**
 * Who owns each MQTT client id: the user whose connection first presented it (MQTT 3.1.1 §3.1.3.1
 * ties a session to its client id, so whoever may present an id may end, wipe or read its session).
 * A connection of another user presenting an owned id is refused before Aedes touches the session.
 *
 * Guarantees every implementation keeps (checked by `describeClientOwnersContract`):
 * - `claim` is atomic: of concurrent claims of a free id by different owners, exactly one wins,
 *   and every claim answers the owner that holds the id afterwards.
 * - A claim by the owner renews the ownership; an id unclaimed for `ttlSeconds` is free again.
 * - Ownership survives a restart. (An implementation may write renewals lazily: after a restart,
 *   an id may then lapse up to a tenth of `ttlSeconds` before the ttl since its last claim.)
 * - `stateKept` is sticky while the id is owned: once a claim said the session keeps state, every
 *   later claim answers true; a refused claim changes nothing. Records written before the flag
 *   existed answer true (they may have state).
 */
export interface ClientOwners {
  /**
   * Claims `clientId` for `owner` if it is free or already theirs. `keepsState`: this connection may
   * store something under the id (a persistent session, a will, an inbound QoS 2 message).
   */
  claim(clientId: string, owner: string, keepsState?: boolean): Promise<ClientIdClaim>
  close(): Promise<void>
}

export interface ClientIdClaim {
  /** The owner that holds the id now (the claimant when the claim succeeded). */
  holder: string
  /**
   * Whether anything may be stored under the id: false only for ids whose every connection so far
   * was a clean session without a will or QoS 2 state, so a clean connect has nothing to wipe.
   */
  stateKept: boolean
}

/** The owner recorded for connections without a token (anonymous generic-topic clients). */
export const ANONYMOUS_OWNER = '$anonymous'
