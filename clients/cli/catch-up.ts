import type { Envelope } from '../../core/message.js'

export interface CatchUpOptions {
  /** The last seq the reader already has; undefined to start with the first live message. */
  after?: number
  /** History with `seq > after`, oldest first, page by page. */
  pagesAfter(after: number): AsyncIterable<Envelope[]>
  print(message: Envelope): void
  /** A failed history read; the stream stops there. */
  onError(error: unknown): void
}

/**
 * One cursor for history and live messages (SPEC §4b): prints every message once, in seq order.
 * Live messages at or below the cursor are skipped; a live message past a gap (after `--after`, a
 * reconnect, or a subscription that started late) first fills the gap from the history API.
 * Work runs one task at a time, so history and live output never interleave.
 */
export function createCatchUp(options: CatchUpOptions) {
  let last = options.after
  let queue: Promise<void> = Promise.resolve()
  let failed = false

  const enqueue = (task: () => Promise<void>): Promise<void> => {
    queue = queue.then(async () => {
      if (failed) return
      try {
        await task()
      } catch (error) {
        failed = true
        options.onError(error)
      }
    })
    return queue
  }

  const emit = (message: Envelope) => {
    if (last !== undefined && message.seq <= last) return
    options.print(message)
    last = message.seq
  }

  const fill = async () => {
    if (last === undefined) return
    for await (const page of options.pagesAfter(last)) for (const message of page) emit(message)
  }

  return {
    /** Prints what was missed since the cursor; resolves when done. Call after subscribing and after each reconnect. */
    resync: () => enqueue(fill),
    /** A message from the live subscription. */
    live: (message: Envelope) =>
      enqueue(async () => {
        if (last !== undefined && message.seq > last + 1) await fill()
        emit(message)
      }),
    /** The seq of the last message printed (or the starting `after`). */
    lastSeq: () => last,
    /** True once a history read failed (`onError` was called); nothing more is printed. */
    failed: () => failed
  }
}
