import { describe, expect, it } from 'vitest'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { RoomSettingsStore } from './room-settings-store.js'

export function describeRoomSettingsContract(name: string, makeHarness: () => Promise<StoreHarness<RoomSettingsStore>>): void {
  describe(`RoomSettingsStore contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    it('answers the defaults until set, then the settings, per (user, room), across a restart', async () => {
      expect(await ctx.store.get('alice', 'r1')).toEqual({ muted: false })
      expect(await ctx.store.set('alice', 'r1', { muted: true })).toEqual({ muted: true })
      expect(await ctx.store.get('alice', 'r1')).toEqual({ muted: true })
      expect(await ctx.store.get('alice', 'r2')).toEqual({ muted: false })
      expect(await ctx.store.get('bob', 'r1')).toEqual({ muted: false })
      await ctx.restart()
      expect(await ctx.store.get('alice', 'r1')).toEqual({ muted: true })
    })

    it('lists who muted a room, and forgets an unmute', async () => {
      await ctx.store.set('carol', 'r1', { muted: true })
      await ctx.store.set('alice', 'r1', { muted: true })
      await ctx.store.set('bob', 'r1', { muted: false })
      await ctx.store.set('dave', 'r10', { muted: true })
      expect(await ctx.store.mutedIn('r1')).toEqual(['alice', 'carol'])
      await ctx.store.set('carol', 'r1', { muted: false })
      expect(await ctx.store.mutedIn('r1')).toEqual(['alice'])
      expect(await ctx.store.mutedIn('r10')).toEqual(['dave'])
      expect(await ctx.store.mutedIn('nobody')).toEqual([])
    })
  })
}
