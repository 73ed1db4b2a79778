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

const relation = (room: string, seq: number, fields: Partial<Envelope> & { type: string; target: number }, from = 'alice'): Envelope => ({
  id: `rel${seq}`,
  room,
  seq,
  from,
  ts: 1_700_000_000_000 + seq,
  body: '',
  ...fields
})

/** Message 1 with meta, then: an edit, reactions of bob and carol, carol's removal, bob's second add. */
const relatedEntries = (room: string): Envelope[] => [
  { ...envelope(room, 1), meta: { secret: 'meta' }, attachments: [{ url: 'secret' }] },
  envelope(room, 2),
  relation(room, 3, { type: 'edit', target: 1, body: 'edited once' }),
  relation(room, 4, { type: 'reaction', target: 1, key: '👍', op: 'add' }, 'bob'),
  relation(room, 5, { type: 'reaction', target: 1, key: '👍', op: 'add' }, 'carol'),
  relation(room, 6, { type: 'reaction', target: 1, key: '🎉', op: 'add' }, 'carol'),
  relation(room, 7, { type: 'reaction', target: 1, key: '🎉', op: 'remove' }, 'carol'),
  relation(room, 8, { type: 'reaction', target: 1, key: '👍', op: 'add' }, 'bob'),
  relation(room, 9, { type: 'edit', target: 1, body: 'edited twice' })
]

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

    it('shows a message in its current state: last edit, reactions per key, every relation entry by seq', async () => {
      await ctx.store.insertMany(relatedEntries('r'))
      const all = await ctx.store.list('r', { after: 0, limit: 100 })
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(all[0]).toMatchObject({ seq: 1, body: 'edited twice', edited: 1_700_000_000_009, reactions: { '👍': ['bob', 'carol'] } })
      expect(all[2]).toMatchObject({ type: 'edit', target: 1, body: 'edited once' })
      expect(all[1]).toEqual(envelope('r', 2))
    })

    it('applies relations the same whatever the order and however often the persister replays them', async () => {
      const entries = relatedEntries('r')
      // relations before their target (parallel persisters), then everything again (at-least-once)
      await ctx.store.insertMany(entries.slice(2, 6))
      await ctx.store.insertMany(entries.slice(0, 2))
      await ctx.store.insertMany(entries.slice(6))
      await ctx.store.insertMany(entries)
      await ctx.store.insertMany(entries.slice(3, 5))
      const [first] = await ctx.store.list('r', { after: 0, limit: 1 })
      expect(first).toMatchObject({ body: 'edited twice', edited: 1_700_000_000_009, reactions: { '👍': ['bob', 'carol'] } })
      // every relation first, the target alone after them
      const late = relatedEntries('late')
      await ctx.store.insertMany(late.slice(1))
      await ctx.store.insertMany(late.slice(0, 1))
      const [target] = await ctx.store.list('late', { after: 0, limit: 1 })
      expect(target).toMatchObject({ body: 'edited twice', edited: 1_700_000_000_009, reactions: { '👍': ['bob', 'carol'] } })
    })

    it('purges a deleted message and the bodies of its edits, also when the delete is stored first', async () => {
      for (const [room, order] of [
        ['in-order', [0, 1]],
        ['delete-first', [1, 0]]
      ] as const) {
        const batches = [relatedEntries(room), [relation(room, 10, { type: 'delete', target: 1 }, 'dave')]]
        for (const index of order) await ctx.store.insertMany(batches[index] as Envelope[])
        const all = await ctx.store.list(room, { after: 0, limit: 100 })
        expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        expect(all[0]).toEqual({ id: 'm1', room, seq: 1, from: 'alice', ts: 1_700_000_000_001, type: 'text', body: '', deleted: true })
        expect(all[2]).toEqual({ id: 'rel3', room, seq: 3, from: 'alice', ts: 1_700_000_000_003, type: 'edit', body: '', target: 1 })
        expect(JSON.stringify(all)).not.toMatch(/secret|edited|message 1"/)
      }
      await ctx.restart()
      expect(JSON.stringify(await ctx.store.list('in-order', { limit: 100 }))).not.toMatch(/secret|edited/)
    })
  })
}
