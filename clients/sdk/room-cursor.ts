import type { Envelope } from './types.js'

export interface RoomCursorOptions {
  /** The last seq the reader already has; undefined to start with the first live message. */
  after?: number
  /** History with `seq > after`, oldest first, page by page. */
  pagesAfter(after: number): AsyncIterable<Envelope[]>
  deliver(message: Envelope): void
  /** A failed history read. The cursor stays where it was; the next `resync` or live message tries again. */
  onError(error: unknown): void
}

/**
 * One cursor for history and live messages (SPEC §4b): delivers every message of a room once, in seq
 * order, with no gaps. Live messages at or below the cursor are dropped; a live message past a gap
 * (after `after`, a reconnect, or a subscription that started late) first fills the gap from the
 * history API. Work runs one task at a time, so live messages wait while a fill runs.
 */
export function createRoomCursor(options: RoomCursorOptions) {
  let last = options.after
  let queue: Promise<void> = Promise.resolve()
  let stopped = false

  const enqueue = (task: () => Promise<void>): Promise<void> => {
    queue = queue.then(async () => {
      if (stopped) return
      try {
        await task()
      } catch (error) {
        options.onError(error)
      }
    })
    return queue
  }

  const deliver = (message: Envelope) => {
    if (stopped || (last !== undefined && message.seq <= last)) return
    last = message.seq
    options.deliver(message)
  }

  const fill = async () => {
    if (last === undefined) return
    for await (const page of options.pagesAfter(last)) {
      if (stopped) return
      for (const message of page) deliver(message)
    }
  }

  return {
    /** Delivers what was missed since the cursor; resolves when done. Call after subscribing and after each reconnect. */
    resync: () => enqueue(fill),
    /** A message from the live subscription. */
    live: (message: Envelope) =>
      enqueue(async () => {
        if (last !== undefined && message.seq > last + 1) await fill()
        // history holds every seq up to the newest (api/history-reader.ts), so after the fill this is the next one
        deliver(message)
      }),
    /** The seq of the last message delivered (or the starting `after`). */
    lastSeq: () => last,
    /** Resolves when the work queued so far is done. */
    idle: () => enqueue(async () => {}),
    stop() {
      stopped = true
    }
  }
}
