import { afterEach, describe, expect, it } from 'vitest'
import { ExpiryQueue } from '../../broker/expiry-queue.js'

interface Entry {
  name: string
  at: number
  slot: number
}

describe('ExpiryQueue', () => {
  const queues: ExpiryQueue<Entry>[] = []
  const queue = (onDue: (entry: Entry) => void = () => undefined) => {
    const created = new ExpiryQueue<Entry>((entry) => entry.at, onDue)
    queues.push(created)
    return created
  }
  afterEach(() => {
    for (const created of queues.splice(0)) created.stop()
  })
  const entry = (name: string, at: number): Entry => ({ name, at, slot: -1 })

  it('hands out entries in due order, whatever order they came in and left in', () => {
    const due: string[] = []
    const far = Date.now() + 86_400_000
    const q = queue((e) => due.push(e.name))
    const entries = [7, 3, 9, 1, 5, 8, 2, 6, 4, 0].map((n) => entry(`e${n}`, far + n))
    for (const e of entries) q.add(e)
    // removing from the middle, the top and the end keeps the heap ordered
    for (const name of ['e5', 'e0', 'e9']) q.remove(entries.find((e) => e.name === name) as Entry)
    expect(q.size).toBe(7)
    // all due a day ago, in the same relative order: the queue reads `at` when it fires
    const remaining = entries.filter((e) => e.slot >= 0)
    for (const e of remaining) e.at -= 2 * 86_400_000
    ;(q as unknown as { fire(): void }).fire()
    expect(due).toEqual(['e1', 'e2', 'e3', 'e4', 'e6', 'e7', 'e8'])
    expect(q.size).toBe(0)
    expect(remaining.every((e) => e.slot === -1)).toBe(true)
  })

  it('runs onDue for an entry already due, and never for one removed before', async () => {
    const due: string[] = []
    let fired: () => void = () => undefined
    const firedOnce = new Promise<void>((resolve) => {
      fired = resolve
    })
    const q = queue((e) => {
      due.push(e.name)
      fired()
    })
    const gone = entry('gone', Date.now() - 1)
    q.add(entry('late', Date.now() - 2))
    q.add(gone)
    q.remove(gone)
    q.remove(gone)
    await firedOnce
    expect(due).toEqual(['late'])
    expect(q.size).toBe(0)
  })
})
