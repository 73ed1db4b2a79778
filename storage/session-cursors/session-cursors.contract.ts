import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SessionCursors } from './session-cursors.js'

export interface SessionCursorsHarness {
  open(): Promise<SessionCursors>
  destroy(): Promise<void>
}

const cursors = (entries: Record<string, number>) => new Map(Object.entries(entries))

export function describeSessionCursorsContract(name: string, makeHarness: () => Promise<SessionCursorsHarness>): void {
  describe(`SessionCursors contract: ${name}`, () => {
    let harness: SessionCursorsHarness
    let store: SessionCursors

    beforeEach(async () => {
      harness = await makeHarness()
      store = await harness.open()
    })
    afterEach(async () => {
      await store.close()
      await harness.destroy()
    })

    it('init sets only missing cursors; advance only moves forward', async () => {
      expect(await store.get('s1')).toEqual(new Map())
      await store.init('s1', cursors({ a: 5, b: 0 }))
      await store.init('s1', cursors({ a: 1, c: 9 }))
      expect(await store.get('s1')).toEqual(cursors({ a: 5, b: 0, c: 9 }))
      await store.advance('s1', cursors({ a: 7, b: 0, c: 3 }))
      expect(await store.get('s1')).toEqual(cursors({ a: 7, b: 0, c: 9 }))
      await store.advance('s1', cursors({ d: 2 }))
      expect((await store.get('s1')).get('d')).toBe(2)
    })

    it('keeps sessions apart, clears one whole, survives a restart', async () => {
      await store.advance('s1', cursors({ a: 1 }))
      await store.advance('s1-x', cursors({ a: 2 }))
      await store.advance('s2', cursors({ a: 3 }))
      await store.clear('s1')
      expect(await store.get('s1')).toEqual(new Map())
      await store.close()
      store = await harness.open()
      expect(await store.get('s1-x')).toEqual(cursors({ a: 2 }))
      expect(await store.get('s2')).toEqual(cursors({ a: 3 }))
    })

    it('concurrent advances keep the highest', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.advance('s', cursors({ r: i }))))
      expect((await store.get('s')).get('r')).toBe(49)
    })
  })
}
