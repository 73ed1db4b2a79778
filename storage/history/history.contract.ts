import { describe, expect, it } from 'vitest'
import type { Envelope } from '../../core/message.js'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { HistoryStore } from './history-store.js'

export type HistoryHarness = StoreHarness<HistoryStore>

const envelope = (room: string, seq: number, id = `m${seq}`): Envelope => ({
  id,
  room,
  seq,
  from: 'alice',
  ts: 1_700_000_000_000 + seq,
  type: 'text',
  body: `message ${seq}`
})

const range = (room: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => envelope(room, from + i))

export function describeHistoryContract(name: string, makeHarness: () => Promise<HistoryHarness>): void {
  describe(`HistoryStore contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    it('pages newest first, bounded by before and limit', async () => {
      await ctx.store.insertMany(range('r', 1, 30))
      await ctx.store.insertMany(range('other', 1, 5))
      expect((await ctx.store.list('r', { limit: 5 })).map((e) => e.seq)).toEqual([30, 29, 28, 27, 26])
      expect((await ctx.store.list('r', { before: 4, limit: 10 })).map((e) => e.seq)).toEqual([3, 2, 1])
      expect(await ctx.store.list('empty', { limit: 10 })).toEqual([])
    })

    it('catches up oldest first after a seq', async () => {
      await ctx.store.insertMany(range('r', 1, 30))
      expect((await ctx.store.list('r', { after: 25, limit: 10 })).map((e) => e.seq)).toEqual([26, 27, 28, 29, 30])
      expect((await ctx.store.list('r', { after: 10, before: 14, limit: 10 })).map((e) => e.seq)).toEqual([11, 12, 13])
      expect((await ctx.store.list('r', { after: 0, limit: 2 })).map((e) => e.seq)).toEqual([1, 2])
    })

    it('returns envelopes exactly as stored', async () => {
      const rich: Envelope = { ...envelope('r', 1), replyTo: 7, meta: { lang: 'en' }, attachments: [{ url: 'x' }] }
      await ctx.store.insertMany([rich])
      expect(await ctx.store.list('r', { limit: 1 })).toEqual([rich])
    })

    it('ignores replays and repeated ids without failing', async () => {
      await ctx.store.insertMany(range('r', 1, 10))
      await ctx.store.insertMany(range('r', 5, 15))
      await ctx.store.insertMany([envelope('r', 16, 'm3')])
      await ctx.store.insertMany([envelope('r', 17, 'dup'), envelope('r', 17, 'dup')])
      const all = await ctx.store.list('r', { after: 0, limit: 100 })
      expect(all.map((e) => e.seq)).toEqual([...Array.from({ length: 15 }, (_, i) => i + 1), 17])
    })

    it('keeps everything across a restart', async () => {
      await ctx.store.insertMany(range('r', 1, 3))
      await ctx.restart()
      expect((await ctx.store.list('r', { limit: 10 })).map((e) => e.seq)).toEqual([3, 2, 1])
    })
  })
}
