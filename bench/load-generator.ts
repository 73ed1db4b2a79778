import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ClientSpec, GeneratorMessage, GeneratorReply, GeneratorRequest, GeneratorResults } from './generator-protocol.js'
import type { Janitor } from './services/janitor.js'
import { stopChild } from './services/proc.js'

const GENERATOR = fileURLToPath(new URL('./generator.ts', import.meta.url))

type Op = GeneratorRequest['op']
type RequestOf<O extends Op> = Extract<GeneratorRequest, { op: O }>

/** The load generator: a few child processes holding the benchmark's MQTT clients. */
export interface LoadGenerator {
  readonly pids: readonly number[]
  readonly size: number
  /** Sends one request to generator process `worker`; rejects after `timeoutMs` without an answer. */
  call<O extends Op>(worker: number, request: RequestOf<O>, timeoutMs?: number): Promise<GeneratorResults[O]>
  /** Sends the same request to every process at once. */
  all<O extends Op>(request: RequestOf<O>, timeoutMs?: number): Promise<GeneratorResults[O][]>
  /** Sends `specs` to the processes round-robin (so every process holds a share of each role) and connects them. */
  connect(specs: ClientSpec[], keepalive?: number, timeoutMs?: number, attempts?: number): Promise<GeneratorResults['connect']>
  stop(): Promise<void>
}

/** Forks `size` generator processes, registering their stop with `janitor`. */
export async function startLoadGenerator(size: number, janitor: Janitor): Promise<LoadGenerator> {
  const children: ChildProcess[] = []
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  let seq = 0
  const stop = janitor.defer('stop the load generator', async () => {
    await Promise.all(children.map((child) => stopChild(child, 'SIGTERM', 5_000)))
  })
  for (let index = 0; index < size; index++) {
    // tsx compiles the generator as it does the CLI; `import.meta.resolve` finds it from here
    const child = fork(GENERATOR, [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    children.push(child)
    child.on('message', (reply: GeneratorReply) => {
      const waiter = pending.get(reply.seq)
      if (!waiter) return
      pending.delete(reply.seq)
      if (reply.ok) waiter.resolve(reply.result)
      else waiter.reject(new Error(`load generator ${index}: ${reply.error}`))
    })
    child.once('exit', (code, signal) => {
      for (const [key, waiter] of pending) {
        pending.delete(key)
        waiter.reject(new Error(`load generator ${index} exited (code ${code}, signal ${signal})`))
      }
    })
  }

  const call = <O extends Op>(worker: number, request: RequestOf<O>, timeoutMs = 60_000): Promise<GeneratorResults[O]> => {
    const child = children[worker]
    if (!child?.connected) return Promise.reject(new Error(`load generator ${worker} is not running`))
    const key = seq++
    return new Promise<GeneratorResults[O]>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(key)
        reject(new Error(`load generator ${worker}: no answer to ${request.op} within ${timeoutMs} ms`))
      }, timeoutMs)
      pending.set(key, {
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value as GeneratorResults[O])
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        }
      })
      child.send({ seq: key, request } satisfies GeneratorMessage)
    })
  }
  const all = <O extends Op>(request: RequestOf<O>, timeoutMs?: number) =>
    Promise.all(children.map((_, worker) => call(worker, request, timeoutMs)))

  // a generator that cannot start (tsx missing, syntax error) fails here rather than at the first request
  await all({ op: 'stats' }, 30_000)

  return {
    pids: children.map((child) => child.pid as number),
    size,
    call,
    all,
    async connect(specs, keepalive = 60, timeoutMs = 120_000, attempts = 1) {
      const shares = children.map((_, worker) => specs.filter((_, index) => index % size === worker))
      const results = await Promise.all(
        shares.map((clients, worker) => call(worker, { op: 'connect', clients, keepalive, concurrency: 100, attempts }, timeoutMs))
      )
      return {
        connected: results.reduce((sum, result) => sum + result.connected, 0),
        failed: results.reduce((sum, result) => sum + result.failed, 0),
        firstError: results.find((result) => result.firstError)?.firstError ?? null,
        retries: results.reduce((sum, result) => sum + result.retries, 0)
      }
    },
    stop
  }
}
