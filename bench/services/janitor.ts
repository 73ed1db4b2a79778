/**
 * Everything a bench run must undo — child processes, temp directories — in reverse order of creation.
 * The orchestrator runs it at the end, on errors and on SIGINT.
 */
export class Janitor {
  private readonly tasks = new Map<number, { label: string; run: () => Promise<void> }>()
  private readonly late = new Set<Promise<void>>()
  /** Failures of steps registered after `cleanUp` began: reported with its own. */
  private readonly lateFailures: string[] = []
  private next = 0
  private closed = false

  /**
   * Registers an undo step; the returned function runs it early (once) and unregisters it.
   * After `cleanUp` has begun (an interrupt while something was starting), the step runs at once.
   */
  defer(label: string, run: () => Promise<void>): () => Promise<void> {
    if (this.closed) {
      const running: Promise<void> = run()
        .catch((error: unknown) => {
          this.lateFailures.push(`${label}: ${error instanceof Error ? error.message : String(error)}`)
        })
        .finally(() => this.late.delete(running))
      this.late.add(running)
      return async () => undefined
    }
    const key = this.next++
    this.tasks.set(key, { label, run })
    return async () => {
      if (!this.tasks.delete(key)) return
      await run()
    }
  }

  /** Runs every pending step, newest first; returns the failures rather than stopping at the first. */
  async cleanUp(): Promise<string[]> {
    this.closed = true
    const failures: string[] = []
    const pending = [...this.tasks.values()].reverse()
    this.tasks.clear()
    for (const task of pending) {
      try {
        await task.run()
      } catch (error) {
        failures.push(`${task.label}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    await Promise.all(this.late)
    return [...failures, ...this.lateFailures.splice(0)]
  }
}
