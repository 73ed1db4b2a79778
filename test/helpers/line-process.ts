import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** How a child process ended. */
export interface LineProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A child process whose stdout is read line by line and whose stderr is kept. */
export interface LineProcess {
  child: ChildProcess
  /** The stdout lines so far. */
  lines: string[]
  /** Everything written to stderr so far. */
  stderr(): string
  /** Resolves once the process has exited and its pipes are closed. */
  exited: Promise<LineProcessExit>
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first or on timeout. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Resolves once `count` stdout lines match `pattern`; rejects if the process exits first or on timeout. */
  waitForLines(pattern: RegExp, count?: number, timeoutMs?: number): Promise<string[]>
  /** Resolves once stderr matches `pattern`; rejects if the process exits first or on timeout. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>
}

export interface LineProcessOptions {
  /** The child's whole environment; default ours. */
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** The child is killed (SIGKILL) if it outlives this; default 10 s. */
  timeoutMs?: number
  /** The default timeout of the `waitFor*` methods; default 10 s. */
  waitMs?: number
  /** Names the process in error messages; default `command`. */
  name?: string
}

const running = new Set<ChildProcess>()

/** Spawns `command args` with stdout and stderr piped, and collects its output. */
export function spawnLines(command: string, args: string[], options: LineProcessOptions = {}): LineProcess {
  const { env, cwd, timeoutMs = 10_000, waitMs: defaultWaitMs = 10_000, name = command } = options
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const exited = new Promise<LineProcessExit>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      resolve({ code, signal })
    })
  })
  const lines: string[] = []
  let stderr = ''
  const listeners = new Set<() => void>()
  const notify = () => {
    for (const listener of [...listeners]) listener()
  }
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    notify()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    notify()
  })
  const output = () => `stdout: ${lines.join('\n')}; stderr: ${stderr}`

  /** Resolves with what `probe` returns once it is not undefined, checked on every output. */
  const waitUntil = <T>(probe: () => T | undefined, what: string, waitMs = defaultWaitMs) =>
    new Promise<T>((resolve, reject) => {
      const finish = (error: Error | null, value?: T) => {
        clearTimeout(waitTimer)
        listeners.delete(check)
        if (error) reject(error)
        else resolve(value as T)
      }
      const check = () => {
        const value = probe()
        if (value !== undefined) finish(null, value)
      }
      const waitTimer = setTimeout(() => finish(new Error(`no ${what} in ${waitMs} ms; ${output()}`)), waitMs)
      listeners.add(check)
      void exited.then(() => {
        check()
        if (listeners.has(check)) finish(new Error(`${name} exited before ${what}; ${output()}`))
      })
      check()
    })

  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(pattern, waitMs) {
      return waitUntil(() => lines.find((line) => pattern.test(line)), `stdout line matching ${pattern}`, waitMs)
    },
    waitForLines(pattern, count = 1, waitMs) {
      return waitUntil(
        () => {
          const found = lines.filter((line) => pattern.test(line))
          return found.length >= count ? found : undefined
        },
        `${count} stdout line(s) matching ${pattern}`,
        waitMs
      )
    },
    waitForStderr(pattern, waitMs) {
      return waitUntil(() => (pattern.test(stderr) ? true : undefined), `stderr matching ${pattern}`, waitMs).then(() => undefined)
    }
  }
}

/** SIGKILLs every process `spawnLines` started that has not closed yet, and waits for them; for afterEach/afterAll. */
export async function killAllLineProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve())
          child.kill('SIGKILL')
        })
    )
  )
}
