/** What an ExpiryQueue entry carries: its position in the queue, -1 while not queued. */
export interface Queued {
  slot: number
}

// setTimeout keeps delays in a signed 32-bit int; longer ones would fire at once
const MAX_DELAY_MS = 2 ** 31 - 1

/**
 * Entries due at a time (ms since the epoch), ordered in a binary min-heap, with one timer for the
 * earliest: `onDue` runs for each entry once its time has come, unless it was removed before. One
 * timer per connection (token expiry) cost ~280 bytes of every idle connection (bench S3 heap
 * snapshot: a Timeout, its closure and context, boxed times); a heap slot costs 8.
 */
export class ExpiryQueue<T extends Queued> {
  private readonly heap: T[] = []
  private timer: NodeJS.Timeout | null = null
  private armedFor = Number.POSITIVE_INFINITY

  constructor(
    private readonly dueAt: (entry: T) => number,
    private readonly onDue: (entry: T) => void
  ) {}

  get size(): number {
    return this.heap.length
  }

  add(entry: T): void {
    entry.slot = this.heap.length
    this.heap.push(entry)
    this.up(entry.slot)
    this.arm()
  }

  /** Takes `entry` out of the queue; nothing when it is not queued. */
  remove(entry: T): void {
    const at = entry.slot
    if (at < 0 || this.heap[at] !== entry) return
    entry.slot = -1
    const last = this.heap.pop() as T
    if (at < this.heap.length) {
      this.place(last, at)
      this.down(at)
      this.up(last.slot)
    }
    this.arm()
  }

  /** Stops the timer; entries stay queued. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.armedFor = Number.POSITIVE_INFINITY
  }

  private fire(): void {
    this.timer = null
    this.armedFor = Number.POSITIVE_INFINITY
    const now = Date.now()
    for (let top = this.heap[0]; top !== undefined && this.dueAt(top) <= now; top = this.heap[0]) {
      this.remove(top)
      this.onDue(top)
    }
    this.arm()
  }

  /** Keeps the one timer set for the earliest entry. */
  private arm(): void {
    const top = this.heap[0]
    const due = top === undefined ? Number.POSITIVE_INFINITY : this.dueAt(top)
    if (due === this.armedFor) return
    this.stop()
    if (top === undefined) return
    this.armedFor = due
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(due - Date.now(), 0), MAX_DELAY_MS))
    this.timer.unref()
  }

  private place(entry: T, at: number): void {
    this.heap[at] = entry
    entry.slot = at
  }

  private up(at: number): void {
    const entry = this.heap[at] as T
    while (at > 0) {
      const parentAt = (at - 1) >> 1
      const parent = this.heap[parentAt] as T
      if (this.dueAt(parent) <= this.dueAt(entry)) break
      this.place(parent, at)
      at = parentAt
    }
    this.place(entry, at)
  }

  private down(at: number): void {
    const entry = this.heap[at] as T
    const length = this.heap.length
    for (;;) {
      const left = 2 * at + 1
      if (left >= length) break
      const right = left + 1
      const child = right < length && this.dueAt(this.heap[right] as T) < this.dueAt(this.heap[left] as T) ? right : left
      if (this.dueAt(this.heap[child] as T) >= this.dueAt(entry)) break
      this.place(this.heap[child] as T, at)
      at = child
    }
    this.place(entry, at)
  }
}
