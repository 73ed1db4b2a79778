import type { RateLimiter, RateLimitOptions } from './rate-limiter.js'

interface Bucket {
  tokens: number
  updatedAt: number
}

/** In-process token buckets, one per key (single node). */
export class LocalRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now
  ) {}

  consume(key: string): boolean {
    if (this.options.perSecond <= 0) return true
    const now = this.now()
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, updatedAt: now }
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.options.perSecond)
    bucket.updatedAt = now
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket)
      return false
    }
    bucket.tokens -= 1
    this.buckets.set(key, bucket)
    return true
  }
}
