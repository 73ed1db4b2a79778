import { describe, expect, it } from 'vitest'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { ClientOwners } from './client-owners.js'

/** Harnesses build stores whose ownership lasts `CLIENT_OWNER_TTL_SECONDS`. */
export const CLIENT_OWNER_TTL_SECONDS = 1

export function describeClientOwnersContract(name: string, makeHarness: () => Promise<StoreHarness<ClientOwners>>): void {
  describe(`ClientOwners contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    const holder = async (clientId: string, owner: string) => (await ctx.store.claim(clientId, owner)).holder

    it('the first claimant owns an id; others get the owner back; the owner renews', async () => {
      expect(await holder('phone', 'alice')).toBe('alice')
      expect(await holder('phone', 'bob')).toBe('alice')
      expect(await holder('phone', 'alice')).toBe('alice')
      expect(await holder('laptop', 'bob')).toBe('bob')
    })

    it('stateKept: false until a claim keeps state, then true for every later claim; a refused claim changes nothing', async () => {
      expect(await ctx.store.claim('watch', 'alice')).toEqual({ holder: 'alice', stateKept: false })
      expect(await ctx.store.claim('watch', 'alice')).toEqual({ holder: 'alice', stateKept: false })
      expect(await ctx.store.claim('watch', 'bob', true)).toEqual({ holder: 'alice', stateKept: false })
      expect(await ctx.store.claim('watch', 'alice', true)).toEqual({ holder: 'alice', stateKept: true })
      expect(await ctx.store.claim('watch', 'alice')).toEqual({ holder: 'alice', stateKept: true })
      expect(await ctx.store.claim('watch', 'bob')).toEqual({ holder: 'alice', stateKept: true })
      await ctx.restart()
      expect(await ctx.store.claim('watch', 'alice')).toEqual({ holder: 'alice', stateKept: true })
      expect(await ctx.store.claim('desk', 'carol', true)).toEqual({ holder: 'carol', stateKept: true })
    })

    it('exactly one of concurrent claimants wins, and everyone hears the same winner', async () => {
      const owners = await Promise.all(Array.from({ length: 20 }, (_, i) => holder('contested', `user${i}`)))
      expect(new Set(owners).size).toBe(1)
      expect(owners[0]).toMatch(/^user\d+$/)
    })

    it("the owner's claim renews: the id stays theirs for the ttl after their last claim", async () => {
      const ttlMs = CLIENT_OWNER_TTL_SECONDS * 1000
      await ctx.store.claim('pad', 'alice')
      await new Promise((resolve) => setTimeout(resolve, ttlMs * 0.6))
      await ctx.store.claim('pad', 'alice')
      await new Promise((resolve) => setTimeout(resolve, ttlMs * 0.6))
      expect(await holder('pad', 'bob')).toBe('alice')
    })

    it('ownership survives a restart and lapses after the ttl', async () => {
      await ctx.store.claim('tablet', 'alice')
      await ctx.restart()
      expect(await holder('tablet', 'bob')).toBe('alice')
      await new Promise((resolve) => setTimeout(resolve, CLIENT_OWNER_TTL_SECONDS * 1000 + 200))
      expect(await holder('tablet', 'bob')).toBe('bob')
    })
  })
}
