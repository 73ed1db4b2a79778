import { Gauge, Histogram, type Registry } from 'prom-client'
import type { Logger } from '../core/logger.js'
import type { ChatLog, LogEntry } from '../storage/chat-log/chat-log.js'
import type { HistoryStore } from '../storage/history/history-store.js'

export interface PersisterOptions {
  /** Consumer name within the group (one per worker). */
  consumer: string
  /** Most entries written to history in one batch. */
  batchSize: number
  /** How long one fetch waits for new entries. */
  blockMs: number
  /** Pause after a failed batch before retrying it. */
  retryMs: number
  /** After a small fetch, how long to let more entries gather: fewer, larger batches under light load. */
  lingerMs: number
}

export interface Persister {
  /** Stops fetching, writes what is already fetched and acknowledges it. */
  stop(): Promise<void>
}

/**
 * Chat log -> history, at least once: a batch is acknowledged only after the history
 * store has it, and the store's unique keys make a replay after a crash harmless.
 */
export function startPersister(
  deps: { chatLog: ChatLog; history: HistoryStore; logger: Logger; registry: Registry },
  options: PersisterOptions
): Persister {
  const logger = deps.logger.child({ component: 'persister', consumer: options.consumer })
  const batchSeconds = new Histogram({
    name: 'mqchat_persist_batch_seconds',
    help: 'Time to write one batch of the chat log to history and acknowledge it',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [deps.registry]
  })
  new Gauge({
    name: 'mqchat_log_backlog',
    help: 'Chat log entries not yet persisted to history (the persisters lag)',
    registers: [deps.registry],
    async collect() {
      this.set(
        await deps.chatLog.backlog().catch((err: unknown) => {
          // a scrape during an outage still answers: the backlog is unknown, and why is logged
          logger.warn({ err }, 'chat log backlog unknown: reading it failed')
          return Number.NaN
        })
      )
    }
  })
  const controller = new AbortController()
  const { signal } = controller

  async function gather(): Promise<LogEntry[]> {
    const first = await deps.chatLog.fetch(options.consumer, options.batchSize, options.blockMs, signal)
    if (first.length === 0 || first.length >= options.batchSize / 2 || signal.aborted) return first
    await new Promise((resolve) => setTimeout(resolve, options.lingerMs))
    return [...first, ...(await deps.chatLog.fetch(options.consumer, options.batchSize - first.length, 0))]
  }

  async function run(): Promise<void> {
    let batch: LogEntry[] = []
    while (!(signal.aborted && batch.length === 0)) {
      try {
        if (batch.length === 0) batch = await gather()
        if (batch.length === 0) continue
        const timer = batchSeconds.startTimer()
        await deps.history.insertMany(batch.map((entry) => entry.envelope))
        await deps.chatLog.ack(batch.map((entry) => entry.position))
        timer()
        batch = []
      } catch (error) {
        logger.error({ err: error, entries: batch.length }, 'persist batch failed; retrying')
        if (signal.aborted) return
        await new Promise((resolve) => setTimeout(resolve, options.retryMs))
      }
    }
  }

  const loop = run()
  return {
    async stop() {
      controller.abort()
      await loop
    }
  }
}
