import { describe, expect, it } from 'vitest'
import { LIMIT_KINDS, type LimitKind, type LimitSpec, type RateLimiter, type RateLimits } from './rate-limiter.js'

/** Builds a limiter with these limits on a fresh store (its own key space). */
export type RateLimiterFactory = (limits: RateLimits) => Promise<RateLimiter>

const OFF: LimitSpec = { points: 0, durationSeconds: 1 }

/** Every kind off except those given. */
export function limitsWith(overrides: Partial<RateLimits>): RateLimits {
  return { ...(Object.fromEntries(LIMIT_KINDS.map((kind) => [kind, OFF])) as RateLimits), ...overrides }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function consumeMany(limiter: RateLimiter, kind: LimitKind, key: string, count: number) {
  const decisions = []
  for (let i = 0; i < count; i++) decisions.push(await limiter.consume(kind, key))
  return decisions
}

export function describeRateLimiterContract(name: string, make: RateLimiterFactory): void {
  describe(`RateLimiter contract: ${name}`, () => {
    it('allows `points` per window, then refuses with the time left; one first refusal per window', async () => {
      const limiter = await make(limitsWith({ chat: { points: 3, durationSeconds: 60 } }))
      const decisions = await consumeMany(limiter, 'chat', 'alice', 6)
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false, false])
      expect(decisions.map((d) => d.firstRefusal)).toEqual([false, false, false, true, false, false])
      for (const refused of decisions.slice(3)) {
        expect(refused.retryAfterMs).toBeGreaterThan(0)
        expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000)
      }
    })

    it('keeps kinds and keys apart', async () => {
      const limiter = await make(limitsWith({ chat: { points: 1, durationSeconds: 60 }, signal: { points: 1, durationSeconds: 60 } }))
      expect((await limiter.consume('chat', 'alice')).allowed).toBe(true)
      expect((await limiter.consume('chat', 'alice')).allowed).toBe(false)
      expect((await limiter.consume('chat', 'bob')).allowed).toBe(true)
      expect((await limiter.consume('signal', 'alice')).allowed).toBe(true)
      expect((await limiter.consume('signal', 'alice')).allowed).toBe(false)
    })

    it('counts several points at once', async () => {
      const limiter = await make(limitsWith({ invite: { points: 10, durationSeconds: 60 } }))
      expect((await limiter.consume('invite', 'alice', 7)).allowed).toBe(true)
      const over = await limiter.consume('invite', 'alice', 4)
      expect(over).toMatchObject({ allowed: false, firstRefusal: true })
      expect((await limiter.consume('invite', 'alice', 1)).allowed).toBe(false)
    })

    it('allows exactly `points` of many concurrent consumptions', async () => {
      const limiter = await make(limitsWith({ login_account: { points: 10, durationSeconds: 60 } }))
      const decisions = await Promise.all(Array.from({ length: 60 }, () => limiter.consume('login_account', 'alice')))
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10)
      expect(decisions.filter((d) => d.firstRefusal)).toHaveLength(1)
    })

    it('makes the budget whole again after the window', async () => {
      const limiter = await make(limitsWith({ notice: { points: 2, durationSeconds: 1 } }))
      const [, , refused] = await consumeMany(limiter, 'notice', 'alice', 3)
      expect(refused?.allowed).toBe(false)
      await sleep((refused?.retryAfterMs ?? 1000) + 100)
      expect((await consumeMany(limiter, 'notice', 'alice', 3)).map((d) => d.allowed)).toEqual([true, true, false])
    })

    it('reset makes a key whole at once, and only that key', async () => {
      const limiter = await make(limitsWith({ login_account: { points: 2, durationSeconds: 60 } }))
      await consumeMany(limiter, 'login_account', 'alice', 3)
      await consumeMany(limiter, 'login_account', 'bob', 3)
      await limiter.reset('login_account', 'alice')
      expect((await limiter.consume('login_account', 'alice')).allowed).toBe(true)
      expect((await limiter.consume('login_account', 'bob')).allowed).toBe(false)
      await limiter.reset('room', 'alice') // a kind that is off: nothing to do
    })

    it('never refuses a kind whose limit is 0', async () => {
      const limiter = await make(limitsWith({}))
      const decisions = await consumeMany(limiter, 'chat', 'alice', 500)
      expect(decisions.every((d) => d.allowed)).toBe(true)
    })
  })
}
