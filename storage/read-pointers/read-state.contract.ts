import { describe, expect, it } from 'vitest'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { CountedEntry, ReadStateStore } from './read-state-store.js'

const message = (seq: number, from: string, mentions: string[] = []): CountedEntry => ({ seq, from, countable: true, mentions })
const relation = (seq: number, from: string): CountedEntry => ({ seq, from, countable: false, mentions: [] })

export function describeReadStateContract(name: string, makeHarness: () => Promise<StoreHarness<ReadStateStore>>): void {
  describe(`ReadStateStore contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    it('counts messages from others after the pointer, not relations and not your own, across a restart', async () => {
      expect(await ctx.store.counts('bob', 'r1')).toEqual({ readSeq: 0, unread: 0, mentions: 0 })
      expect(await ctx.store.record('r1', [message(1, 'alice'), message(2, 'bob'), relation(3, 'alice'), message(4, 'alice')])).toBe(true)
      expect(await ctx.store.counts('bob', 'r1')).toEqual({ readSeq: 0, unread: 2, mentions: 0 })
      expect(await ctx.store.counts('alice', 'r1')).toEqual({ readSeq: 0, unread: 1, mentions: 0 })
      expect((await ctx.store.markRead('bob', 'r1', 1)).readSeq).toBe(1)
      expect(await ctx.store.counts('bob', 'r1')).toEqual({ readSeq: 1, unread: 1, mentions: 0 })
      expect(await ctx.store.record('r1', [message(5, 'bob'), message(6, 'carol')])).toBe(true)
      await ctx.restart()
      expect(await ctx.store.counts('bob', 'r1')).toEqual({ readSeq: 1, unread: 2, mentions: 0 })
      expect((await ctx.store.markRead('bob', 'r1', 6)).readSeq).toBe(6)
      expect(await ctx.store.counts('bob', 'r1')).toEqual({ readSeq: 6, unread: 0, mentions: 0 })
      expect(await ctx.store.counts('bob', 'r2')).toEqual({ readSeq: 0, unread: 0, mentions: 0 })
    })

    it('never moves a pointer back', async () => {
      expect(await ctx.store.markRead('bob', 'r1', 7)).toEqual({ readSeq: 7, moved: true })
      expect(await ctx.store.markRead('bob', 'r1', 3)).toEqual({ readSeq: 7, moved: false })
      expect(await ctx.store.markRead('bob', 'r1', 7)).toEqual({ readSeq: 7, moved: false })
      expect(await ctx.store.markRead('bob', 'r1', 0)).toEqual({ readSeq: 7, moved: false })
      expect(await ctx.store.markRead('bob', 'r1', 8)).toEqual({ readSeq: 8, moved: true })
      expect((await ctx.store.counts('bob', 'r1')).readSeq).toBe(8)
    })

    it('counts mentions after the pointer', async () => {
      await ctx.store.record('r1', [message(1, 'alice', ['bob']), message(2, 'alice'), message(3, 'carol', ['bob', 'alice'])])
      expect(await ctx.store.counts('bob', 'r1')).toEqual({ readSeq: 0, unread: 3, mentions: 2 })
      expect((await ctx.store.counts('alice', 'r1')).mentions).toBe(1)
      await ctx.store.markRead('bob', 'r1', 2)
      expect(await ctx.store.counts('bob', 'r1')).toEqual({ readSeq: 2, unread: 1, mentions: 1 })
    })

    it('skips entries recorded before and refuses a gap as a whole', async () => {
      await ctx.store.record('r1', [message(1, 'alice'), message(2, 'alice')])
      expect(await ctx.store.record('r1', [message(1, 'alice'), message(2, 'alice'), message(3, 'alice')])).toBe(true)
      expect(await ctx.store.recordedSeq('r1')).toBe(3)
      expect(await ctx.store.record('r1', [message(5, 'alice'), message(6, 'alice')])).toBe(false)
      expect(await ctx.store.recordedSeq('r1')).toBe(3)
      expect((await ctx.store.counts('bob', 'r1')).unread).toBe(3)
      expect(await ctx.store.record('r1', [message(4, 'alice'), message(5, 'alice')])).toBe(true)
      expect((await ctx.store.counts('bob', 'r1')).unread).toBe(5)
      expect(await ctx.store.recordedSeq('r10')).toBe(0)
    })

    it('answers records of many rooms made at once each for itself, a gap refused alone, all durable', async () => {
      await ctx.store.record('r0', [message(1, 'alice')])
      const rooms = Array.from({ length: 20 }, (_, i) => `r${i}`)
      const answers = await Promise.all(
        rooms.map((room, i) =>
          i === 0
            ? ctx.store.record(room, [message(3, 'alice')])
            : ctx.store.record(room, [message(1, 'alice'), message(2, 'carol', ['bob'])])
        )
      )
      expect(answers).toEqual(rooms.map((_, i) => i !== 0))
      await ctx.restart()
      expect(await ctx.store.recordedSeq('r0')).toBe(1)
      expect(await ctx.store.counts('bob', 'r0')).toEqual({ readSeq: 0, unread: 1, mentions: 0 })
      for (const room of rooms.slice(1)) {
        expect(await ctx.store.recordedSeq(room)).toBe(2)
        expect(await ctx.store.counts('bob', room)).toEqual({ readSeq: 0, unread: 2, mentions: 1 })
        expect((await ctx.store.counts('carol', room)).unread).toBe(1)
      }
    })

    it('lists the readers of a room in user id order', async () => {
      await ctx.store.markRead('carol', 'r1', 2)
      await ctx.store.markRead('alice', 'r1', 5)
      await ctx.store.markRead('dave', 'r10', 1)
      expect(await ctx.store.readers('r1')).toEqual([
        { userId: 'alice', readSeq: 5 },
        { userId: 'carol', readSeq: 2 }
      ])
      expect(await ctx.store.readers('nobody')).toEqual([])
    })
  })
}
