/**
 * Every kind of action mqchat limits, each with its own budget per key:
 * - `chat`: chat sends per user (MQTT and REST), counted before the message is even parsed,
 *   so invalid sends cost the sender as much as valid ones;
 * - `signal`: typing and receipt publishes per user;
 * - `notice`: rejection notices per user, so a flood of refused sends yields a bounded number of them;
 * - `invite`: members a user adds to rooms (one point per member added, also at room creation);
 * - `room`: rooms a user creates;
 * - `login_account` / `login_address`: login attempts per username and per client address;
 * - `register_address`: registrations per client address.
 */
export const LIMIT_KINDS = ['chat', 'signal', 'notice', 'invite', 'room', 'login_account', 'login_address', 'register_address'] as const

export type LimitKind = (typeof LIMIT_KINDS)[number]

/** `points` per fixed window of `durationSeconds` (a whole number ≥ 1); `points` 0 disables the limit. */
export interface LimitSpec {
  points: number
  durationSeconds: number
}

export type RateLimits = Record<LimitKind, LimitSpec>

export interface RateDecision {
  allowed: boolean
  /** When the key's window ends and its budget is whole again (0 when allowed without limit). */
  retryAfterMs: number
  /** This consumption is the one that went over the budget: the first refusal of the window. */
  firstRefusal: boolean
}

/**
 * Decides whether a key may do one more action of a kind now.
 *
 * Guarantees every implementation keeps (checked by `describeRateLimiterContract`):
 * - at most `points` consumptions of a kind and key are allowed per window; kinds and keys never share budgets;
 * - refused consumptions are reported with the time left in the window, and exactly one per window is the first refusal;
 * - a key's budget is whole again once its window has passed, and then nothing of the key is kept;
 * - `reset` makes a key's budget whole at once;
 * - a limit of 0 points never refuses;
 * - the Redis implementation shares budgets between every node of a cluster.
 * A failing store (Redis away) rejects with its error; it is never taken as a refusal.
 */
export interface RateLimiter {
  consume(kind: LimitKind, key: string, points?: number): Promise<RateDecision>
  reset(kind: LimitKind, key: string): Promise<void>
}

const ALLOWED: RateDecision = { allowed: true, retryAfterMs: 0, firstRefusal: false }
export const unlimited = (): RateDecision => ALLOWED

/** The chat limit from its two settings: a window of `burst` sends that refills at `perSecond` on average. */
export function chatLimit(perSecond: number, burst: number): LimitSpec {
  if (perSecond <= 0) return { points: 0, durationSeconds: 1 }
  return { points: burst, durationSeconds: Math.max(1, Math.ceil(burst / perSecond)) }
}
