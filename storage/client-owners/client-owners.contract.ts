import { describe, expect, it } from 'vitest'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { ClientOwners } from './client-owners.js'

/** Harnesses build stores whose ownership lasts `CLIENT_OWNER_TTL_SECONDS`. */
export const CLIENT_OWNER_TTL_SECONDS = 1

export function describeClientOwnersContract(name: string, makeHarness: () => Promise<StoreHarness<ClientOwners>>): void {
  describe(`ClientOwners contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    it('the first claimant owns an id; others get the owner back; the owner renews', async () => {
      expect(await ctx.store.claim('phone', 'alice')).toBe('alice')
      expect(await ctx.store.claim('phone', 'bob')).toBe('alice')
      expect(await ctx.store.claim('phone', 'alice')).toBe('alice')
      expect(await ctx.store.claim('laptop', 'bob')).toBe('bob')
    })

    it('exactly one of concurrent claimants wins, and everyone hears the same winner', async () => {
      const owners = await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.store.claim('contested', `user${i}`)))
      expect(new Set(owners).size).toBe(1)
      expect(owners[0]).toMatch(/^user\d+$/)
    })

    it('ownership survives a restart and lapses after the ttl', async () => {
      await ctx.store.claim('tablet', 'alice')
      await ctx.restart()
      expect(await ctx.store.claim('tablet', 'bob')).toBe('alice')
      await new Promise((resolve) => setTimeout(resolve, CLIENT_OWNER_TTL_SECONDS * 1000 + 200))
      expect(await ctx.store.claim('tablet', 'bob')).toBe('bob')
    })
  })
}
