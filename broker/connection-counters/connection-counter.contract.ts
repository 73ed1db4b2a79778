import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConnectionCounter } from './connection-counter.js'

export interface ConnectionCounterHarness {
  /** Node `nodeId`'s counter on the backend this harness shares between its nodes. */
  open(nodeId: string): Promise<ConnectionCounter>
  /** Whether counters of different nodes (and of a node's later run) count together. */
  readonly shared: boolean
  /** Ends a node as a crash would: no `close`, its heartbeat (if any) just stops. */
  crash(counter: ConnectionCounter): Promise<void>
  destroy(): Promise<void>
}

/** Repeats `probe` until `predicate` holds; the test's own timeout bounds it. */
async function until<T>(probe: () => Promise<T>, predicate: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await probe()
    if (predicate(value)) return value
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export function describeConnectionCounterContract(name: string, makeHarness: () => Promise<ConnectionCounterHarness>): void {
  describe(`ConnectionCounter contract: ${name}`, () => {
    let harness: ConnectionCounterHarness
    const live = new Set<ConnectionCounter>()
    /** A node as started by the broker: the first reap comes before it counts anything. */
    const start = async (nodeId: string) => {
      const counter = await harness.open(nodeId)
      live.add(counter)
      return { counter, reaped: await counter.reapDeadNodes() }
    }
    const crash = async (counter: ConnectionCounter) => {
      live.delete(counter)
      await harness.crash(counter)
    }
    beforeEach(async () => {
      harness = await makeHarness()
    })
    afterEach(async () => {
      for (const counter of live) await counter.close()
      live.clear()
      await harness.destroy()
    })

    it('answers which users are online now', async () => {
      const { counter } = await start('n1')
      await counter.increment('alice')
      await counter.increment('bob')
      await counter.decrement('bob')
      expect(await counter.online(['carol', 'bob', 'alice'])).toEqual(['alice'])
      expect(await counter.online([])).toEqual([])
      if (!harness.shared) return
      const { counter: other } = await start('n2')
      await other.increment('carol')
      expect(await counter.online(['alice', 'bob', 'carol'])).toEqual(['alice', 'carol'])
    })

    it('counts per user and never below zero', async () => {
      const { counter, reaped } = await start('n1')
      expect(reaped).toEqual([])
      expect([await counter.increment('alice'), await counter.increment('alice'), await counter.increment('bob')]).toEqual([1, 2, 1])
      expect([await counter.decrement('alice'), await counter.decrement('alice'), await counter.decrement('alice')]).toEqual([1, 0, 0])
      expect(await counter.decrement('nobody')).toBe(0)
      expect(await counter.increment('alice')).toBe(1)
      expect(await counter.decrement('bob')).toBe(0)
    })

    it('keeps an exact count under 100 concurrent changes', async () => {
      const { counter } = await start('n1')
      await Promise.all(Array.from({ length: 100 }, () => counter.increment('alice')))
      await Promise.all(Array.from({ length: 60 }, () => counter.decrement('alice')))
      expect(await counter.increment('alice')).toBe(41)
    })

    it("a crashed node's next run starts from zero and reports whom it left counted (when they outlive it)", async () => {
      const first = await start('n1')
      await first.counter.increment('alice')
      await first.counter.increment('alice')
      await first.counter.increment('bob')
      await first.counter.decrement('bob')
      await crash(first.counter)
      const again = await start('n1')
      expect(again.reaped).toEqual(harness.shared ? ['alice'] : [])
      expect(await again.counter.increment('alice')).toBe(1)
    })

    it('sums the nodes of a shared backend; a node alone counts only its own connections', async () => {
      const n1 = (await start('n1')).counter
      const n2 = (await start('n2')).counter
      expect(await n1.increment('alice')).toBe(1)
      expect(await n2.increment('alice')).toBe(harness.shared ? 2 : 1)
      expect(await n1.decrement('alice')).toBe(harness.shared ? 1 : 0)
      expect(await n2.decrement('alice')).toBe(0)
    })

    it("forgets a crashed node's connections once, reporting the users left with none", async () => {
      const n1 = (await start('n1')).counter
      const n2 = (await start('n2')).counter
      const n3 = (await start('n3')).counter
      await n2.increment('carol')
      await n2.increment('dave')
      await n1.increment('dave')
      await crash(n2)
      const reaped = harness.shared
        ? await until(
            () => n1.reapDeadNodes(),
            (users) => users.length > 0
          )
        : await n1.reapDeadNodes()
      expect(reaped).toEqual(harness.shared ? ['carol'] : [])
      // another node finds nothing left to reap
      expect(await n3.reapDeadNodes()).toEqual([])
      expect(await n1.increment('carol')).toBe(1)
      expect(await n1.increment('dave')).toBe(2)
    })
  })
}
