import { Worker } from 'node:worker_threads'
import { MqchatError } from '../core/errors.js'
import { sourcePath } from '../core/source-root.js'

type Job = { op: 'hash'; password: string } | { op: 'verify'; password: string; stored: string }
type Reply = { id: number; ok: true; result: string | boolean } | { id: number; ok: false; error: string }

// plain JavaScript, read from the sources also by a compiled server (npm run build)
const WORKER_URL = sourcePath('api/password-worker.mjs')

/**
 * Password hashing on ONE dedicated worker thread with a bounded queue. A login or registration
 * flood then costs one core at most and never the libuv threadpool (LevelDB, DNS, fs) the chat path
 * waits on; past `maxQueue` waiting jobs the caller gets `unavailable` (HTTP 503) at once.
 */
export class PasswordHasher {
  private worker: Worker | null = null
  private nextId = 0
  private readonly pending = new Map<number, { resolve(value: string | boolean): void; reject(error: Error): void }>()

  constructor(private maxQueue: number) {}

  /** Changes the queue bound (the composition root sets it from the configuration). */
  setMaxQueue(maxQueue: number): void {
    this.maxQueue = maxQueue
  }

  /** An argon2id hash (PHC string). */
  async hash(password: string): Promise<string> {
    return (await this.run({ op: 'hash', password })) as string
  }

  /** Checks a password against an argon2id or an older scrypt hash. */
  async verify(password: string, stored: string): Promise<boolean> {
    return (await this.run({ op: 'verify', password, stored })) as boolean
  }

  /** Jobs waiting or running. */
  get queued(): number {
    return this.pending.size
  }

  async close(): Promise<void> {
    const worker = this.worker
    this.worker = null
    await worker?.terminate()
  }

  private run(job: Job): Promise<string | boolean> {
    if (this.pending.size >= this.maxQueue) {
      return Promise.reject(new MqchatError('unavailable', 'too many password checks in progress; retry shortly'))
    }
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.start().postMessage({ id, ...job })
    })
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(WORKER_URL)
    // an idle hashing thread must not keep the process alive
    worker.unref()
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id)
      this.pending.delete(reply.id)
      if (!waiting) return
      if (reply.ok) waiting.resolve(reply.result)
      else waiting.reject(new Error(`password hashing failed: ${reply.error}`))
    })
    // a dead worker fails what it held; the next job starts a new one
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null
      for (const [id, waiting] of this.pending) {
        this.pending.delete(id)
        waiting.reject(error)
      }
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`password worker exited with code ${code}`)))
    this.worker = worker
    return worker
  }
}
