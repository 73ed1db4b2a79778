import { describe, expect, it } from 'vitest'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { SessionCursors } from './session-cursors.js'

export type SessionCursorsHarness = StoreHarness<SessionCursors>

const cursors = (entries: Record<string, number>) => new Map(Object.entries(entries))

export function describeSessionCursorsContract(name: string, makeHarness: () => Promise<SessionCursorsHarness>): void {
  describe(`SessionCursors contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    it('init sets only missing cursors; advance only moves forward', async () => {
      expect(await ctx.store.get('s1')).toEqual(new Map())
      await ctx.store.init('s1', cursors({ a: 5, b: 0 }))
      await ctx.store.init('s1', cursors({ a: 1, c: 9 }))
      expect(await ctx.store.get('s1')).toEqual(cursors({ a: 5, b: 0, c: 9 }))
      await ctx.store.advance('s1', cursors({ a: 7, b: 0, c: 3 }))
      expect(await ctx.store.get('s1')).toEqual(cursors({ a: 7, b: 0, c: 9 }))
      await ctx.store.advance('s1', cursors({ d: 2 }))
      expect((await ctx.store.get('s1')).get('d')).toBe(2)
    })

    it('keeps sessions apart, clears one whole, survives a restart', async () => {
      await ctx.store.advance('s1', cursors({ a: 1 }))
      await ctx.store.advance('s1-x', cursors({ a: 2 }))
      await ctx.store.advance('s2', cursors({ a: 3 }))
      await ctx.store.clear('s1')
      expect(await ctx.store.get('s1')).toEqual(new Map())
      await ctx.restart()
      expect(await ctx.store.get('s1-x')).toEqual(cursors({ a: 2 }))
      expect(await ctx.store.get('s2')).toEqual(cursors({ a: 3 }))
    })

    it('concurrent advances keep the highest', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => ctx.store.advance('s', cursors({ r: i }))))
      expect((await ctx.store.get('s')).get('r')).toBe(49)
    })

    it('a read sees every advance made before it, awaited or not (a session back right after its PUBACKs)', async () => {
      const writes: Promise<void>[] = []
      for (let seq = 1; seq <= 200; seq++)
        for (const session of ['x1', 'x2', 'x3']) writes.push(ctx.store.advance(session, cursors({ r: seq })))
      expect(await ctx.store.get('x2')).toEqual(cursors({ r: 200 }))
      await Promise.all(writes)
      ctx.store.advance('x2', cursors({ r: 201 })).catch(() => {})
      await ctx.store.clear('x2')
      expect(await ctx.store.get('x2')).toEqual(cursors({}))
    })
  })
}
