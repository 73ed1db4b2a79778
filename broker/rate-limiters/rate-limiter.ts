/** Decides whether a user may send one more message now. */
export interface RateLimiter {
  consume(key: string): boolean | Promise<boolean>
}

export interface RateLimitOptions {
  /** Tokens added per second; 0 disables limiting. */
  perSecond: number
  /** Bucket size: how many sends may come at once. */
  burst: number
}
