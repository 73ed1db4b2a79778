import { describe, expect, it } from 'vitest'
import { MqchatError } from '../../core/errors.js'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { ChatLog, NewMessage } from './chat-log.js'

export type ChatLogHarness = StoreHarness<ChatLog>

export const CLAIM_IDLE_MS = 200

const message = (room: string, id: string, from = 'alice'): NewMessage => ({ room, id, from, body: `body ${id}`, type: 'text' })

/** A `meta` too deep for `JSON.stringify` (the schema refuses it; the log must not depend on that). */
function poisoned(room: string, id: string): NewMessage {
  let meta: Record<string, unknown> = {}
  for (let i = 0; i < 100_000; i++) meta = { a: meta }
  return { ...message(room, id, 'mallory'), meta }
}

/** The code of the MqchatError `promise` rejects with; fails the test when it resolves. */
async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason
  )
  expect(error, 'the append was accepted').toBeInstanceOf(MqchatError)
  return (error as MqchatError).code
}

export function describeChatLogContract(name: string, makeHarness: () => Promise<ChatLogHarness>): void {
  describe(`ChatLog contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    it('assigns 1, 2, 3 per room and fills the server fields', async () => {
      const before = Date.now()
      const a1 = await ctx.store.append(message('a', 'm1', 'bob'))
      const a2 = await ctx.store.append(message('a', 'm2'))
      const b1 = await ctx.store.append(message('b', 'm3'))
      expect([a1.envelope.seq, a2.envelope.seq, b1.envelope.seq]).toEqual([1, 2, 1])
      expect(a1.envelope).toMatchObject({ id: 'm1', room: 'a', from: 'bob', body: 'body m1', type: 'text' })
      expect(a1.envelope).not.toHaveProperty('duplicate')
      expect(a1.envelope.ts).toBeGreaterThanOrEqual(before)
      expect(JSON.parse(a1.payload)).toEqual(a1.envelope)
      expect(a1.duplicate).toBe(false)
      expect(await ctx.store.lastSeq('a')).toBe(2)
      expect(await ctx.store.lastSeq('never-used')).toBe(0)
    })

    it('sequences 1,000 concurrent appends to one room with no gap and no duplicate', async () => {
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => ctx.store.append(message('busy', `m${i}`))))
      const seqs = results.map((r) => r.envelope.seq).sort((x, y) => x - y)
      expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
      expect(await ctx.store.lastSeq('busy')).toBe(1000)
    })

    it('answers a repeated (room, id) with the first envelope, sequentially and concurrently', async () => {
      const first = await ctx.store.append(message('r', 'same'))
      const again = await ctx.store.append({ ...message('r', 'same'), body: 'changed' })
      expect(again.duplicate).toBe(true)
      expect(again.envelope).toEqual(first.envelope)
      const racing = await Promise.all(Array.from({ length: 20 }, () => ctx.store.append(message('r', 'race'))))
      expect(new Set(racing.map((r) => r.envelope.seq)).size).toBe(1)
      expect(racing.filter((r) => !r.duplicate)).toHaveLength(1)
      const other = await ctx.store.append(message('other-room', 'same'))
      expect(other.duplicate).toBe(false)
      expect(await ctx.store.lastSeq('r')).toBe(2)
    })

    it("refuses another sender's id (id_taken), also concurrently and after a restart; the sender's retry keeps its seq", async () => {
      const first = await ctx.store.append(message('r', 'shared', 'bob'))
      expect(await rejectionCode(ctx.store.append(message('r', 'shared', 'alice')))).toBe('id_taken')
      const retry = await ctx.store.append(message('r', 'shared', 'bob'))
      expect(retry).toMatchObject({ duplicate: true, envelope: first.envelope })

      const racing = await Promise.allSettled(['alice', 'bob', 'alice', 'bob'].map((from) => ctx.store.append(message('r', 'raced', from))))
      const winner = racing[0]?.status === 'fulfilled' ? 'alice' : 'bob'
      for (const [index, outcome] of racing.entries()) {
        const from = index % 2 === 0 ? 'alice' : 'bob'
        if (from === winner) expect(outcome).toMatchObject({ status: 'fulfilled', value: { envelope: { from, seq: 2 } } })
        else expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'id_taken' } })
      }

      await ctx.restart()
      expect(await rejectionCode(ctx.store.append(message('r', 'shared', 'alice')))).toBe('id_taken')
      expect((await ctx.store.append(message('r', 'shared', 'bob'))).envelope).toEqual(first.envelope)
      expect(await ctx.store.lastSeq('r')).toBe(2)
      expect((await ctx.store.read('r', 0, 10)).map((e) => [e.id, e.from])).toEqual([
        ['shared', 'bob'],
        ['raced', winner]
      ])
    })

    it('fails only the entry it cannot serialize, never the others appended with it', async () => {
      const good = Array.from({ length: 50 }, (_, i) => ctx.store.append(message(i % 2 ? 'r' : 's', `m${i}`, 'bob')))
      const bad = ctx.store.append(poisoned('r', 'deep'))
      const more = Array.from({ length: 50 }, (_, i) => ctx.store.append(message(i % 2 ? 'r' : 's', `n${i}`, 'bob')))
      expect(await rejectionCode(bad)).toBe('invalid_message')
      const results = await Promise.all([...good, ...more])
      expect(results.every((result) => !result.duplicate)).toBe(true)
      for (const room of ['r', 's']) {
        const seqs = results.filter((result) => result.envelope.room === room).map((result) => result.envelope.seq)
        expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
        expect((await ctx.store.read(room, 0, 100)).map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
      }
      // the refused id is free: a later well-formed message with it is appended
      expect((await ctx.store.append(message('r', 'deep', 'mallory'))).envelope.seq).toBe(51)
    })

    it('reads a room by seq, ascending and bounded', async () => {
      for (let i = 1; i <= 10; i++) await ctx.store.append(message('r', `m${i}`))
      await ctx.store.append(message('r-2', 'x'))
      const page = await ctx.store.read('r', 3, 4)
      expect(page.map((e) => e.seq)).toEqual([4, 5, 6, 7])
      expect(page.every((e) => e.room === 'r')).toBe(true)
      expect(await ctx.store.read('r', 10, 5)).toEqual([])
    })

    it('keeps seq, dedupe and contents across a restart', async () => {
      await ctx.store.append(message('r', 'm1'))
      await ctx.store.append(message('r', 'm2'))
      await ctx.restart()
      expect(await ctx.store.lastSeq('r')).toBe(2)
      expect((await ctx.store.append(message('r', 'm1'))).envelope.seq).toBe(1)
      expect((await ctx.store.append(message('r', 'm3'))).envelope.seq).toBe(3)
      expect((await ctx.store.read('r', 0, 10)).map((e) => e.id)).toEqual(['m1', 'm2', 'm3'])
    })

    it('hands every entry to the consumer in order until it is acknowledged', async () => {
      for (let i = 1; i <= 5; i++) await ctx.store.append(message('r', `m${i}`))
      expect(await ctx.store.backlog()).toBe(5)
      const first = await ctx.store.fetch('worker-1', 3, 0)
      expect(first.map((e) => e.envelope.id)).toEqual(['m1', 'm2', 'm3'])
      expect(await ctx.store.backlog()).toBe(5)
      await ctx.store.ack(first.map((e) => e.position))
      const second = await ctx.store.fetch('worker-1', 10, 0)
      expect(second.map((e) => e.envelope.id)).toEqual(['m4', 'm5'])
      expect(await ctx.store.pendingCount()).toBe(2)
      expect(await ctx.store.fetch('worker-1', 10, 0)).toEqual([])
      await ctx.restart()
      const redelivered = await ctx.store.fetch('worker-1', 10, 0)
      expect(redelivered.map((e) => e.envelope.id)).toEqual(['m4', 'm5'])
      await ctx.store.ack(redelivered.map((e) => e.position))
      expect(await ctx.store.pendingCount()).toBe(0)
      expect(await ctx.store.backlog()).toBe(0)
    })

    it('tails every append to a followed room after its follow once, in seq order per room, until unsubscribed', async () => {
      await ctx.store.append(message('r', 'before'))
      await Promise.all([ctx.store.follow('r'), ctx.store.follow('s')])
      const seen: string[] = []
      const stop = await ctx.store.tail((entry) => {
        expect(JSON.parse(entry.payload)).toEqual(entry.envelope)
        seen.push(`${entry.envelope.room}:${entry.envelope.seq}`)
      })
      await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.store.append(message(i % 2 ? 'r' : 's', `m${i}`))))
      expect((await ctx.store.append(message('s', 'm0'))).duplicate).toBe(true)
      const deadline = Date.now() + 5000
      while (seen.length < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(seen.filter((s) => s.startsWith('r:'))).toEqual(Array.from({ length: 10 }, (_, i) => `r:${i + 2}`))
      expect(seen.filter((s) => s.startsWith('s:'))).toEqual(Array.from({ length: 10 }, (_, i) => `s:${i + 1}`))
      stop()
      await ctx.store.append(message('r', 'after'))
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(seen).toHaveLength(20)
      ctx.store.unfollow('r')
      ctx.store.unfollow('s')
    })

    it('hands entries another consumer left unacknowledged to the next consumer after claimIdleMs', async () => {
      for (let i = 1; i <= 3; i++) await ctx.store.append(message('r', `m${i}`))
      const taken = await ctx.store.fetch('worker-dead', 10, 0)
      expect(taken).toHaveLength(3)
      expect(await ctx.store.fetch('worker-alive', 10, 0)).toEqual([])
      await new Promise((resolve) => setTimeout(resolve, CLAIM_IDLE_MS + 100))
      const claimed = await ctx.store.fetch('worker-alive', 10, 0)
      expect(claimed.map((e) => e.envelope.id)).toEqual(['m1', 'm2', 'm3'])
      await ctx.store.ack(claimed.map((e) => e.position))
      expect(await ctx.store.pendingCount()).toBe(0)
    })

    it('feeds a named group every entry appended after its first use, independently of the persisters, across a restart', async () => {
      await ctx.store.append(message('r', 'before'))
      expect(await ctx.store.group('push').fetch('pusher-1', 10, 0)).toEqual([])
      for (let i = 1; i <= 4; i++) await ctx.store.append(message('r', `m${i}`))
      const persisted = await ctx.store.fetch('worker-1', 10, 0)
      await ctx.store.ack(persisted.map((e) => e.position))
      const push = ctx.store.group('push')
      const first = await push.fetch('pusher-1', 2, 0)
      expect(first.map((e) => e.envelope.id)).toEqual(['m1', 'm2'])
      await push.ack(first.map((e) => e.position))
      const second = await push.fetch('pusher-1', 10, 0)
      expect(second.map((e) => e.envelope.id)).toEqual(['m3', 'm4'])
      expect(await push.backlog()).toBe(2)
      await ctx.restart()
      const again = ctx.store.group('push')
      await ctx.store.append(message('r', 'm5'))
      // the unacked entries come again first; the new one with them or right after
      const seen: string[] = []
      for (let batch = await again.fetch('pusher-1', 10, 0); batch.length > 0; batch = await again.fetch('pusher-1', 10, 0)) {
        seen.push(...batch.map((e) => e.envelope.id))
        await again.ack(batch.map((e) => e.position))
      }
      expect(seen).toEqual(['m3', 'm4', 'm5'])
      expect(await again.pendingCount()).toBe(0)
      expect(await again.backlog()).toBe(0)
      expect((await ctx.store.fetch('worker-1', 10, 0)).map((e) => e.envelope.id)).toEqual(['m5'])
    })

    it("hands a named group's unacknowledged entries to its next consumer after claimIdleMs", async () => {
      const push = ctx.store.group('push')
      await push.fetch('pusher-dead', 10, 0)
      for (let i = 1; i <= 3; i++) await ctx.store.append(message('r', `m${i}`))
      expect(await push.fetch('pusher-dead', 10, 0)).toHaveLength(3)
      expect(await push.fetch('pusher-alive', 10, 0)).toEqual([])
      await new Promise((resolve) => setTimeout(resolve, CLAIM_IDLE_MS + 100))
      const claimed = await push.fetch('pusher-alive', 10, 0)
      expect(claimed.map((e) => e.envelope.id)).toEqual(['m1', 'm2', 'm3'])
      await push.ack(claimed.map((e) => e.position))
      expect(await push.pendingCount()).toBe(0)
    })

    it('wakes a blocked fetch on append and ends it on abort', async () => {
      const waiting = ctx.store.fetch('worker-1', 10, 5000)
      setTimeout(() => void ctx.store.append(message('r', 'late')), 50)
      expect((await waiting).map((e) => e.envelope.id)).toEqual(['late'])
      const controller = new AbortController()
      const started = Date.now()
      const aborted = ctx.store.fetch('worker-1', 10, 10_000, controller.signal)
      setTimeout(() => controller.abort(), 50)
      expect(await aborted).toEqual([])
      expect(Date.now() - started).toBeLessThan(5000)
    })

    it('replaces a deleted message and its edits by tombstones in every read, also after a restart', async () => {
      const original = await ctx.store.append({ ...message('t', 'orig'), body: 'secret original', meta: { m: 'secret meta' } })
      await ctx.store.append(message('t', 'other'))
      await ctx.store.append({ room: 't', id: 'e1', from: 'alice', type: 'edit', target: 1, body: 'secret edit' })
      await ctx.store.append({ room: 't', id: 'x1', from: 'bob', type: 'reaction', target: 1, key: '👍', op: 'add', body: '' })
      const removal = await ctx.store.append({ room: 't', id: 'd1', from: 'alice', type: 'delete', target: 1, body: '' })
      expect(removal.envelope).toMatchObject({ seq: 5, type: 'delete', target: 1, body: '' })
      const { id, room, from, ts, type } = original.envelope
      const expected = [
        { id, room, seq: 1, from, ts, type, body: '', deleted: true },
        { seq: 2, body: 'body other' },
        { id: 'e1', seq: 3, type: 'edit', body: '', target: 1 },
        { id: 'x1', seq: 4, type: 'reaction', target: 1, key: '👍', op: 'add' },
        { id: 'd1', seq: 5, type: 'delete', target: 1 }
      ]
      for (const restart of [false, true]) {
        const store = restart ? await ctx.restart() : ctx.store
        const all = await store.read('t', 0, 10)
        expect(all).toMatchObject(expected)
        expect(all[0]).toEqual(expected[0])
        expect(JSON.stringify(all)).not.toContain('secret')
        // reads that start at or end on a tombstone, as session replay and `after=` pages do
        expect((await store.read('t', 0, 1)).map((e) => e.seq)).toEqual([1])
        expect((await store.read('t', 2, 1)).map((e) => e.seq)).toEqual([3])
        expect((await store.read('t', 1, 2)).map((e) => e.seq)).toEqual([2, 3])
        // the sender's retry of the deleted message gets the tombstone, not its body back
        const retry = await store.append({ ...message('t', 'orig'), body: 'secret original' })
        expect(retry).toMatchObject({ duplicate: true, envelope: { seq: 1, deleted: true, body: '' } })
        expect(retry.payload).not.toContain('secret')
      }
    })

    it('refuses relations to a deleted message with bad_target, also a delete and an edit in one batch', async () => {
      await ctx.store.append(message('t', 'orig'))
      const relation = (id: string, type: string) => ({
        room: 't',
        id,
        from: 'alice',
        type,
        target: 1,
        body: type === 'edit' ? 'late' : ''
      })
      const [removal, edit, reaction] = await Promise.allSettled([
        ctx.store.append(relation('d1', 'delete')),
        ctx.store.append(relation('e1', 'edit')),
        ctx.store.append({ ...relation('x1', 'reaction'), key: 'k', op: 'add' })
      ])
      expect(removal).toMatchObject({ status: 'fulfilled', value: { envelope: { seq: 2 } } })
      expect(await rejectionCode(edit.status === 'rejected' ? Promise.reject(edit.reason) : Promise.resolve())).toBe('bad_target')
      expect(await rejectionCode(reaction.status === 'rejected' ? Promise.reject(reaction.reason) : Promise.resolve())).toBe('bad_target')
      expect(await rejectionCode(ctx.store.append(relation('d2', 'delete')))).toBe('bad_target')
      expect(await ctx.store.lastSeq('t')).toBe(2)
      expect((await ctx.store.read('t', 0, 10)).map((e) => e.type)).toEqual(['text', 'delete'])
    })
  })
}
