import { describe, expect, it } from 'vitest'
import { LocalRateLimiter } from '../../broker/rate-limiters/local-rate-limiter.js'

describe('LocalRateLimiter', () => {
  it('allows a burst, then the refill rate, per key', () => {
    let now = 0
    const limiter = new LocalRateLimiter({ perSecond: 2, burst: 3 }, () => now)
    expect([1, 2, 3, 4].map(() => limiter.consume('alice'))).toEqual([true, true, true, false])
    expect(limiter.consume('bob')).toBe(true)
    now += 500
    expect(limiter.consume('alice')).toBe(true)
    expect(limiter.consume('alice')).toBe(false)
    now += 10_000
    expect([1, 2, 3, 4].map(() => limiter.consume('alice'))).toEqual([true, true, true, false])
  })

  it('never limits when the rate is 0', () => {
    const limiter = new LocalRateLimiter({ perSecond: 0, burst: 1 })
    expect(Array.from({ length: 100 }, () => limiter.consume('alice')).every(Boolean)).toBe(true)
  })
})
