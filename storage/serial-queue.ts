/** Runs tasks one after another, in call order; a failed task does not stop the ones after it. */
export function createSerialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return (task) => {
    const run = tail.then(task, task)
    // the caller gets the failure from `run`; the next task only waits for this one to settle
    tail = run.catch(() => undefined)
    return run
  }
}
