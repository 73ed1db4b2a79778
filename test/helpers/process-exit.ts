import type { ChildProcess } from 'node:child_process'

/**
 * Waits up to `timeoutMs` for `exited` (the child's exit promise) and resolves with its value.
 * Past that, `child` is killed with SIGKILL and, once it is gone, the result is 'timeout'.
 */
export async function exitOrKill<T>(child: ChildProcess, exited: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  const result = await Promise.race([exited, timeout])
  clearTimeout(timer)
  if (result !== 'timeout') return result
  child.kill('SIGKILL')
  await exited
  return 'timeout'
}
