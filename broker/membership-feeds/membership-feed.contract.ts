import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { MembershipChange, MembershipFeed, MembershipListener } from './membership-feed.js'

export interface MembershipFeedHarness {
  /** One node's feed on the backend this harness shares between its nodes. */
  open(): Promise<MembershipFeed>
  /** Whether feeds of different nodes reach each other (a cluster), or each feed is one node alone. */
  readonly shared: boolean
  /**
   * Cuts `feed` off its backend and publishes `change` through `publisher` before it can be back,
   * as a network failure during a change would. False when the feed has no connection to cut.
   */
  interrupt(feed: MembershipFeed, publisher: MembershipFeed, change: MembershipChange): Promise<boolean>
  destroy(): Promise<void>
}

interface Recorder {
  listener: MembershipListener
  changes: MembershipChange[]
  gaps: number
}

function recorder(): Recorder {
  const record: Recorder = {
    changes: [],
    gaps: 0,
    listener: {
      change: (change) => record.changes.push(change),
      gap: () => {
        record.gaps += 1
      }
    }
  }
  return record
}

/** Polls until `predicate` holds; the test's own timeout bounds it. */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 10))
}

const change = (roomId: string, userId: string, isMember = true): MembershipChange => ({ roomId, userId, isMember })

export function describeMembershipFeedContract(name: string, makeHarness: () => Promise<MembershipFeedHarness>): void {
  describe(`MembershipFeed contract: ${name}`, () => {
    let harness: MembershipFeedHarness
    const opened: MembershipFeed[] = []
    const open = async () => {
      const feed = await harness.open()
      opened.push(feed)
      return feed
    }
    beforeEach(async () => {
      harness = await makeHarness()
    })
    afterEach(async () => {
      for (const feed of opened.splice(0)) await feed.close()
      await harness.destroy()
    })

    it('delivers every change published through a feed to its own subscribers, in publish order', async () => {
      const feed = await open()
      const first = recorder()
      const second = recorder()
      await feed.subscribe(first.listener)
      await feed.subscribe(second.listener)
      const sent = Array.from({ length: 20 }, (_, i) => change(`r${i % 3}`, `u${i}`, i % 2 === 0))
      for (const each of sent) await feed.publish(each)
      await until(() => first.changes.length >= sent.length && second.changes.length >= sent.length)
      expect(first.changes).toEqual(sent)
      expect(second.changes).toEqual(sent)
      expect(first.gaps + second.gaps).toBe(0)
    })

    it('reaches every node of a shared backend in one order; a node alone hears only its own changes', async () => {
      const a = await open()
      const b = await open()
      const onA = recorder()
      const onB = recorder()
      await a.subscribe(onA.listener)
      await b.subscribe(onB.listener)
      const fromA = change('room', 'alice')
      const fromB = change('room', 'bob', false)
      await a.publish(fromA)
      await b.publish(fromB)
      if (harness.shared) {
        await until(() => onA.changes.length >= 2 && onB.changes.length >= 2)
        expect(onA.changes).toEqual([fromA, fromB])
        expect(onB.changes).toEqual([fromA, fromB])
      } else {
        await until(() => onA.changes.length >= 1 && onB.changes.length >= 1)
        expect(onA.changes).toEqual([fromA])
        expect(onB.changes).toEqual([fromB])
      }
    })

    it('delivers nothing more to a closed feed', async () => {
      const closing = await open()
      const closed = recorder()
      await closing.subscribe(closed.listener)
      await closing.close()
      const publisher = harness.shared ? await open() : closing
      const witness = recorder()
      if (harness.shared) await publisher.subscribe(witness.listener)
      await publisher.publish(change('room', 'carol'))
      if (harness.shared) await until(() => witness.changes.length === 1)
      expect(closed.changes).toEqual([])
    })

    it('after an interruption: a change made meanwhile is delivered or announced as a gap, and later changes flow', async () => {
      const feed = await open()
      const publisher = harness.shared ? await open() : feed
      const seen = recorder()
      await feed.subscribe(seen.listener)
      const meanwhile = change('room', 'dave', false)
      const cut = await harness.interrupt(feed, publisher, meanwhile)
      // a gap is announced once the feed delivers again, so a change made after it is never lost
      if (cut) await until(() => seen.gaps >= 1)
      const later = change('room', 'erin')
      await publisher.publish(later)
      await until(() => seen.changes.some((c) => c.userId === 'erin'))
      const heardMeanwhile = seen.changes.some((c) => c.userId === 'dave')
      expect(heardMeanwhile || seen.gaps > 0).toBe(true)
      if (!cut) expect([heardMeanwhile, seen.gaps]).toEqual([true, 0])
      expect(seen.changes.at(-1)).toEqual(later)
    })
  })
}
