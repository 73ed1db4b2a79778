import { describe, expect, it } from 'vitest'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { ApiKeyRecord, CredentialsStore } from './credentials-store.js'

export type CredentialsHarness = StoreHarness<CredentialsStore>

const apiKey = (id: string, createdAt: number): ApiKeyRecord => ({
  id,
  name: `svc-${id}`,
  scopes: ['history:read', 'messages:write'],
  secretHash: 'ab'.repeat(32),
  createdAt,
  createdBy: 'root',
  revokedAt: null
})

export function describeCredentialsContract(name: string, makeHarness: () => Promise<CredentialsHarness>): void {
  describe(`CredentialsStore contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    it('knows nothing of a new user', async () => {
      expect(await ctx.store.userCredentials('alice')).toEqual({ tokensValidAfter: 0, banned: false, admin: false })
      expect(await ctx.store.isRevoked('alice', 'jti-1', 1000)).toBe(false)
      expect(await ctx.store.bannedUsers()).toEqual([])
    })

    it('revokes tokens issued before a cut-off that only moves forward', async () => {
      await ctx.store.revokeTokens('alice', 5000)
      expect(await ctx.store.isRevoked('alice', 'a', 4999)).toBe(true)
      expect(await ctx.store.isRevoked('alice', 'a', 5000)).toBe(false)
      expect(await ctx.store.isRevoked('bob', 'a', 4999)).toBe(false)
      await ctx.store.revokeTokens('alice', 3000)
      expect((await ctx.store.userCredentials('alice')).tokensValidAfter).toBe(5000)
      await ctx.store.revokeTokens('alice', 7000)
      expect(await ctx.store.isRevoked('alice', null, 6000)).toBe(true)
    })

    it('revokes one token by id, for its user only, and forgets it after it expires', async () => {
      await ctx.store.revokeToken('alice', 'tok!1', Date.now() + 60_000)
      expect(await ctx.store.isRevoked('alice', 'tok!1', Date.now())).toBe(true)
      expect(await ctx.store.isRevoked('alice', 'tok!2', Date.now())).toBe(false)
      expect(await ctx.store.isRevoked('bob', 'tok!1', Date.now())).toBe(false)
      expect(await ctx.store.isRevoked('alice', null, Date.now())).toBe(false)
    })

    it('answers a write at once to a reader that asked before it', async () => {
      expect(await ctx.store.isRevoked('dave', 'tok', 1000)).toBe(false)
      await ctx.store.revokeToken('dave', 'tok', Date.now() + 60_000)
      expect(await ctx.store.isRevoked('dave', 'tok', 1000)).toBe(true)
      expect(await ctx.store.isRevoked('erin', null, 1000)).toBe(false)
      await ctx.store.revokeTokens('erin', 2000)
      expect(await ctx.store.isRevoked('erin', null, 1000)).toBe(true)
      await ctx.store.setAdmin('erin', true)
      expect(await ctx.store.userCredentials('erin')).toEqual({ tokensValidAfter: 2000, banned: false, admin: true })
      expect(await ctx.store.isBanned('erin')).toBe(false)
      await ctx.store.setBanned('erin', true)
      expect(await ctx.store.isBanned('erin')).toBe(true)
    })

    it('bans and unbans; a banned user has every token revoked', async () => {
      await ctx.store.setBanned('mallory', true)
      await ctx.store.setBanned('eve', true)
      expect(await ctx.store.isRevoked('mallory', 'x', Date.now() + 1000)).toBe(true)
      expect((await ctx.store.bannedUsers()).sort()).toEqual(['eve', 'mallory'])
      await ctx.store.setBanned('mallory', false)
      expect(await ctx.store.isRevoked('mallory', 'x', Date.now())).toBe(false)
      expect(await ctx.store.bannedUsers()).toEqual(['eve'])
    })

    it('keeps admin rights beside the other flags', async () => {
      await ctx.store.setAdmin('root', true)
      await ctx.store.revokeTokens('root', 10)
      expect(await ctx.store.userCredentials('root')).toEqual({ tokensValidAfter: 10, banned: false, admin: true })
      await ctx.store.setAdmin('root', false)
      expect((await ctx.store.userCredentials('root')).admin).toBe(false)
    })

    it('creates API keys once, lists them oldest first, revokes them once', async () => {
      await ctx.store.createApiKey(apiKey('00000000000000b2', 2))
      await ctx.store.createApiKey(apiKey('00000000000000a1', 1))
      await expect(ctx.store.createApiKey(apiKey('00000000000000a1', 3))).rejects.toMatchObject({ code: 'conflict' })
      expect(await ctx.store.getApiKey('00000000000000a1')).toEqual(apiKey('00000000000000a1', 1))
      expect(await ctx.store.getApiKey('ffffffffffffffff')).toBeNull()
      expect((await ctx.store.listApiKeys()).map((key) => key.id)).toEqual(['00000000000000a1', '00000000000000b2'])
      const racing = await Promise.all([ctx.store.revokeApiKey('00000000000000a1', 50), ctx.store.revokeApiKey('00000000000000a1', 60)])
      expect(racing.filter(Boolean)).toHaveLength(1)
      expect((await ctx.store.getApiKey('00000000000000a1'))?.revokedAt).toBeGreaterThanOrEqual(50)
      expect(await ctx.store.revokeApiKey('ffffffffffffffff', 50)).toBe(false)
    })

    it('keeps everything across a restart', async () => {
      await ctx.store.revokeTokens('alice', 5000)
      await ctx.store.revokeToken('bob', 'j1', Date.now() + 60_000)
      await ctx.store.setBanned('mallory', true)
      await ctx.store.createApiKey(apiKey('00000000000000c3', 1))
      await ctx.store.revokeApiKey('00000000000000c3', 9)
      await ctx.restart()
      expect(await ctx.store.isRevoked('alice', null, 4000)).toBe(true)
      expect(await ctx.store.isRevoked('bob', 'j1', Date.now())).toBe(true)
      expect(await ctx.store.bannedUsers()).toEqual(['mallory'])
      expect((await ctx.store.getApiKey('00000000000000c3'))?.revokedAt).toBe(9)
    })
  })
}
