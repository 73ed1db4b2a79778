/** First and longest pause between two empty polls of the partition streams. */
export const POLL_MIN_MS = 5
export const POLL_MAX_MS = 100

/**
 * The pause of a fetch that found every partition empty: 5 ms, doubling up to 100 ms while they
 * stay empty, so an idle worker costs a few reads a second and a busy one waits little.
 */
export class PartitionPoller {
  private pause = POLL_MIN_MS

  /** Sleeps the next pause, at most `limitMs`; an abort ends it at once. */
  wait(limitMs: number, signal?: AbortSignal): Promise<void> {
    const ms = Math.max(0, Math.min(this.pause, limitMs))
    this.pause = Math.min(this.pause * 2, POLL_MAX_MS)
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
    })
  }
}
