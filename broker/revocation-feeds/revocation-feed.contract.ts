import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Revocation, RevocationFeed } from './revocation-feed.js'

export interface RevocationFeedHarness {
  /** One node's feed on the backend this harness shares between its nodes. */
  open(): Promise<RevocationFeed>
  /** Whether feeds of different nodes reach each other (a cluster), or each feed is one node alone. */
  readonly shared: boolean
  /**
   * Cuts `feed` off its backend and publishes `revocation` through `publisher` before it can be
   * back, as a network failure during a logout would. False when the feed has no connection to cut.
   */
  interrupt(feed: RevocationFeed, publisher: RevocationFeed, revocation: Revocation): Promise<boolean>
  destroy(): Promise<void>
}

interface Recorder {
  revocations: Revocation[]
  resyncs: number
  listen(feed: RevocationFeed): Promise<void>
}

function recorder(): Recorder {
  const record: Recorder = {
    revocations: [],
    resyncs: 0,
    listen: (feed) =>
      feed.subscribe(
        (revocation) => record.revocations.push(revocation),
        () => {
          record.resyncs += 1
        }
      )
  }
  return record
}

/** Polls until `predicate` holds; the test's own timeout bounds it. */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 10))
}

const logout = (userId: string, jti: string): Revocation => ({ userId, jti, reason: 'logout' })

export function describeRevocationFeedContract(name: string, makeHarness: () => Promise<RevocationFeedHarness>): void {
  describe(`RevocationFeed contract: ${name}`, () => {
    let harness: RevocationFeedHarness
    const opened: RevocationFeed[] = []
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

    it('delivers every revocation published through a feed to each of its subscribers, in publish order', async () => {
      const feed = await open()
      const first = recorder()
      const second = recorder()
      await first.listen(feed)
      await second.listen(feed)
      const sent: Revocation[] = [
        logout('alice', 'j1'),
        { userId: 'bob', reason: 'password_changed' },
        { userId: 'carol', reason: 'banned' },
        { userId: 'alice', jti: 'j2', reason: 'revoked' }
      ]
      for (const each of sent) await feed.publish(each)
      await until(() => first.revocations.length >= sent.length && second.revocations.length >= sent.length)
      expect(first.revocations).toEqual(sent)
      expect(second.revocations).toEqual(sent)
      expect(first.resyncs + second.resyncs).toBe(0)
    })

    it('reaches every node of a shared backend in one order; a node alone hears only its own revocations', async () => {
      const a = await open()
      const b = await open()
      const onA = recorder()
      const onB = recorder()
      await onA.listen(a)
      await onB.listen(b)
      const fromA = logout('alice', 'a')
      const fromB = logout('bob', 'b')
      await a.publish(fromA)
      await b.publish(fromB)
      if (harness.shared) {
        await until(() => onA.revocations.length >= 2 && onB.revocations.length >= 2)
        expect(onA.revocations).toEqual([fromA, fromB])
        expect(onB.revocations).toEqual([fromA, fromB])
      } else {
        await until(() => onA.revocations.length >= 1 && onB.revocations.length >= 1)
        expect(onA.revocations).toEqual([fromA])
        expect(onB.revocations).toEqual([fromB])
      }
    })

    it('delivers nothing more to a closed feed', async () => {
      const closing = await open()
      const closed = recorder()
      await closed.listen(closing)
      await closing.close()
      const publisher = harness.shared ? await open() : closing
      const witness = recorder()
      if (harness.shared) await witness.listen(publisher)
      await publisher.publish(logout('carol', 'c'))
      if (harness.shared) await until(() => witness.revocations.length === 1)
      expect(closed.revocations).toEqual([])
    })

    it('after an interruption: a revocation made meanwhile is delivered or followed by a resync, and later ones flow', async () => {
      const feed = await open()
      const publisher = harness.shared ? await open() : feed
      const seen = recorder()
      await seen.listen(feed)
      const meanwhile = logout('dave', 'd')
      const cut = await harness.interrupt(feed, publisher, meanwhile)
      // the resync runs once the feed delivers again, so a revocation made after it is never lost
      if (cut) await until(() => seen.resyncs >= 1)
      const later = logout('erin', 'e')
      await publisher.publish(later)
      await until(() => seen.revocations.some((r) => r.userId === 'erin'))
      const heardMeanwhile = seen.revocations.some((r) => r.userId === 'dave')
      expect(heardMeanwhile || seen.resyncs > 0).toBe(true)
      if (!cut) expect([heardMeanwhile, seen.resyncs]).toEqual([true, 0])
      expect(seen.revocations.at(-1)).toEqual(later)
    })
  })
}
