import { describe, expect, it } from 'vitest'
import type { Envelope } from '../../core/message.js'
import type { TailEntry } from '../../storage/chat-log/chat-log.js'
import { FeedRoom } from '../../storage/chat-log/feed-room.js'

const envelope = (seq: number): Envelope => ({ id: `m${seq}`, room: 'r', seq, from: 'alice', ts: 1, type: 'text', body: `b${seq}` })
const entry = (seq: number): TailEntry => ({ envelope: envelope(seq), payload: JSON.stringify(envelope(seq)) })

/** A FeedRoom over an in-memory room stream holding `stream` (ids from `ids`); `failures` reads reject first. */
function room(stream: number[], failures = 0, ids: Record<number, string> = {}) {
  const handed: number[] = []
  const events: string[] = []
  let failing = failures
  const feed = new FeedRoom(
    'r',
    'feed:r',
    {
      read: async (_room, afterSeq, limit) => {
        events.push(`read>${afterSeq}/${limit}`)
        if (failing-- > 0) throw new Error('redis away')
        const entries = stream.filter((seq) => seq > afterSeq).slice(0, limit)
        return entries.map((seq) => ({ ...envelope(seq), id: ids[seq] ?? `m${seq}` }))
      },
      deliver: (e) => handed.push(e.envelope.seq),
      filled: (_room, count) => events.push(`filled ${count}`),
      gaveUp: (_room, from, to) => events.push(`gave up ${from}-${to}`),
      diverged: (_room, seq) => events.push(`diverged at ${seq}`),
      readFailed: () => events.push('failed'),
      readRecovered: () => {}
    },
    { pageSize: 2, retryMs: 1 }
  )
  return { feed, handed, events }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

describe('FeedRoom: one room of the live feed, in seq order, once', () => {
  it('holds what arrives before its start seq is known and drops what the start seq covers', async () => {
    const { feed, handed, events } = room([1, 2, 3, 4])
    feed.received(entry(3))
    feed.received(entry(4))
    feed.start(3)
    await settle()
    expect(handed).toEqual([4])
    expect(events).toEqual([])
  })

  it('reads a skipped seq from the stream and drops the late live copy', async () => {
    const { feed, handed, events } = room([1, 2, 3, 4, 5])
    feed.start(0)
    feed.received(entry(1))
    feed.received(entry(4))
    feed.received(entry(5))
    await settle()
    feed.received(entry(2))
    feed.received(entry(3))
    expect(handed).toEqual([1, 2, 3, 4, 5])
    expect(events).toEqual(['read>1/2', 'filled 2'])
  })

  it('retries a failed stream read and hands out nothing out of order meanwhile', async () => {
    const { feed, handed, events } = room([1, 2, 3], 2)
    feed.start(0)
    feed.received(entry(3))
    feed.received(entry(1))
    await settle()
    expect(handed).toEqual([1, 2, 3])
    expect(events.filter((e) => e === 'failed')).toHaveLength(2)
  })

  it('catches up to the end of the stream in pages after a reconnect, giving up on what was trimmed', async () => {
    const { feed, handed, events } = room([8, 9, 10, 11, 12])
    feed.start(5)
    feed.catchUpNow()
    await settle()
    expect(handed).toEqual([8, 9, 10, 11, 12])
    expect(events).toEqual(['read>5/2', 'gave up 6-7', 'filled 2', 'read>9/2', 'filled 2', 'read>11/2', 'filled 1'])
  })

  it('after a lost feed, checks the last entry it handed out against the stream before going on', async () => {
    const same = room([1, 2, 3])
    same.feed.start(0)
    for (const seq of [1, 2]) same.feed.received(entry(seq))
    same.feed.catchUpNow()
    await settle()
    expect(same.handed).toEqual([1, 2, 3])
    expect(same.events).toEqual(['read>1/3', 'filled 1'])

    // a failover lost seq 2 as handed out here; the new master gave 2 to another message
    const lost = room([1, 2, 3], 0, { 2: 'other' })
    lost.feed.start(0)
    for (const seq of [1, 2]) lost.feed.received(entry(seq))
    lost.feed.catchUpNow()
    await settle()
    expect(lost.handed).toEqual([1, 2, 3])
    expect(lost.events).toEqual(['read>1/3', 'diverged at 2', 'filled 1'])
  })

  it('gives up on a gap the stream holds nothing of and goes on with the held entries', async () => {
    const { feed, handed, events } = room([1, 7])
    feed.start(1)
    feed.received(entry(7))
    await settle()
    expect(handed).toEqual([7])
    expect(events).toEqual(['read>1/2', 'gave up 2-6', 'filled 1'])
  })

  it('hands out nothing once stopped, not even a gap being read', async () => {
    const { feed, handed } = room([1, 2, 3])
    feed.start(0)
    feed.received(entry(3))
    feed.stop()
    await settle()
    feed.received(entry(1))
    expect(handed).toEqual([])
  })
})
