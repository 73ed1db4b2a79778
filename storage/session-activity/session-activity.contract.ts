import { describe, expect, it } from 'vitest'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { SessionActivity } from './session-activity.js'

export function describeSessionActivityContract(name: string, makeHarness: () => Promise<StoreHarness<SessionActivity>>): void {
  describe(`SessionActivity contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    it('lists sessions last seen at or before a cutoff, oldest first, at most `limit`; a later sighting replaces an earlier', async () => {
      await ctx.store.seen(['a', 'b'], 1_000)
      await ctx.store.seen(['c'], 500)
      await ctx.store.seen(['d'], 3_000)
      expect(await ctx.store.idleSince(1_000, 10)).toEqual(['c', 'a', 'b'])
      expect(await ctx.store.idleSince(999, 10)).toEqual(['c'])
      expect(await ctx.store.idleSince(5_000, 2)).toEqual(['c', 'a'])
      await ctx.store.seen(['c'], 4_000)
      expect(await ctx.store.idleSince(3_000, 10)).toEqual(['a', 'b', 'd'])
      expect(await ctx.store.idleSince(4_000, 10)).toEqual(['a', 'b', 'd', 'c'])
    })

    it('adopts only sessions it has no record of', async () => {
      await ctx.store.seen(['known'], 5_000)
      await ctx.store.adopt(['known', 'old-a', 'old-b'], 1_000)
      await ctx.store.adopt([], 1_000)
      expect(await ctx.store.idleSince(1_000, 10)).toEqual(['old-a', 'old-b'])
      expect(await ctx.store.idleSince(5_000, 10)).toEqual(['old-a', 'old-b', 'known'])
    })

    it('claims an expired session once, and never one seen again since the cutoff', async () => {
      await ctx.store.seen(['old', 'back'], 1_000)
      await ctx.store.seen(['back'], 9_000)
      expect(await ctx.store.claimExpired('back', 5_000)).toBe(false)
      expect(await ctx.store.claimExpired('unknown', 5_000)).toBe(false)
      const claims = await Promise.all(Array.from({ length: 10 }, () => ctx.store.claimExpired('old', 5_000)))
      expect(claims.filter(Boolean)).toHaveLength(1)
      expect(await ctx.store.idleSince(10_000, 10)).toEqual(['back'])
    })

    it('forgets a session; records survive a restart', async () => {
      await ctx.store.seen(['s1', 's1-x', 's2'], 2_000)
      await ctx.store.forget('s1')
      await ctx.store.forget('never-seen')
      await ctx.restart()
      expect(await ctx.store.idleSince(2_000, 10)).toEqual(['s1-x', 's2'])
      expect(await ctx.store.claimExpired('s1', 2_000)).toBe(false)
    })

    it('gives the sweep lease to one holder at a time until it lapses', async () => {
      expect(await ctx.store.lease('node-a', 300)).toBe(true)
      expect(await ctx.store.lease('node-b', 300)).toBe(false)
      expect(await ctx.store.lease('node-a', 300)).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 450))
      expect(await ctx.store.lease('node-b', 300)).toBe(true)
      expect(await ctx.store.lease('node-a', 300)).toBe(false)
    })
  })
}
