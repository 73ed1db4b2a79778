import { Counter, Gauge, type Registry } from 'prom-client'
import type { Logger } from '../../core/logger.js'
import type { ChatLog, ConsumerGroup, LogEntry } from '../../storage/chat-log/chat-log.js'
import { createPushClient, type PushOutcome } from './push-client.js'
import { deliveryId, isCountable, type PushEvent, previewOf } from './push-event.js'
import { pushRecipients, type RecipientSources } from './recipients.js'

/** The chat log's consumer group the dispatchers share (beside the persisters'). */
export const PUSH_GROUP = 'push'

export interface PushDispatcherOptions {
  /** Consumer name within the group (one per bridge). */
  consumer: string
  url: string
  secret: string
  timeoutMs: number
  /** POSTs of one message before it is given up (and counted in mqchat_push_failed_total). */
  maxAttempts: number
  /** Wait before the first retry; doubles per attempt up to `maxRetryMs`. */
  retryMs: number
  maxRetryMs: number
  /** Messages being pushed at once: a slow receiver delays pushes, never chat or the persister. */
  concurrency: number
  /** How long one fetch waits for new entries. */
  blockMs: number
}

export interface PushDispatcher {
  /** Stops fetching and ends POSTs under way; whatever was not sent stays unacknowledged (pushed later). */
  stop(): Promise<void>
}

type Deps = RecipientSources & { chatLog: ChatLog; logger: Logger; registry: Registry }

/**
 * Chat log -> push webhook, at least once: an entry is acknowledged only once its POST got a 2xx,
 * had no one to push to, or was given up. Entries fetched by a dispatcher that died are fetched
 * again (after a restart, or by another bridge after the claim time).
 */
export function startPushDispatcher(deps: Deps, options: PushDispatcherOptions): PushDispatcher {
  const logger = deps.logger.child({ component: 'push', consumer: options.consumer })
  const group = deps.chatLog.group(PUSH_GROUP)
  const client = createPushClient(options)
  const metrics = pushMetrics(deps.registry, group, logger)
  const controller = new AbortController()
  const { signal } = controller
  /** Positions being pushed: the log hands out entries again after its claim time, one push each is enough. */
  const inFlight = new Map<string, Promise<void>>()
  let slotFreed: (() => void) | null = null

  async function push(entry: LogEntry): Promise<void> {
    const { envelope } = entry
    let event: PushEvent | null = null
    for (let attempt = 1; !signal.aborted; attempt++) {
      let outcome: PushOutcome
      try {
        if (!isCountable(envelope)) return await ack(entry)
        if (!event) {
          const recipients = await pushRecipients(deps, envelope)
          if (recipients.length === 0) return await ack(entry)
          const { room, seq, from } = envelope
          event = { type: 'message', room, seq, from, preview: previewOf(envelope), recipients }
        }
        outcome = await client.post(JSON.stringify(event), deliveryId(event), signal)
      } catch (error) {
        // the stores that name the recipients are away: retried like a receiver that is
        outcome = { kind: 'retry', reason: error instanceof Error ? error.message : String(error) }
      }
      // stopping: what was not sent stays pending for the next run or another bridge
      if (signal.aborted && outcome.kind !== 'sent') return
      if (outcome.kind === 'sent') {
        metrics.sent.inc()
        return await ack(entry)
      }
      if (outcome.kind === 'refused' || attempt >= options.maxAttempts) {
        const reason = outcome.kind === 'refused' ? 'refused' : 'retries_exhausted'
        metrics.failed.inc({ reason })
        logger.warn({ room: envelope.room, seq: envelope.seq, attempt, reason: outcome.reason }, 'push given up')
        return await ack(entry)
      }
      metrics.retries.inc()
      logger.debug({ room: envelope.room, seq: envelope.seq, attempt, reason: outcome.reason }, 'push failed; retrying')
      await sleep(Math.min(options.retryMs * 2 ** (attempt - 1), options.maxRetryMs), signal)
    }
  }

  async function ack(entry: LogEntry): Promise<void> {
    try {
      await group.ack([entry.position])
    } catch (error) {
      // it stays pending and is pushed again later: a duplicate, never a loss
      logger.error({ err: error, position: entry.position }, 'push acknowledgement failed')
    }
  }

  async function run(): Promise<void> {
    while (!signal.aborted) {
      if (inFlight.size >= options.concurrency) {
        await new Promise<void>((resolve) => {
          slotFreed = resolve
        })
        continue
      }
      let entries: LogEntry[]
      try {
        entries = await group.fetch(options.consumer, options.concurrency - inFlight.size, options.blockMs, signal)
      } catch (error) {
        logger.error({ err: error }, 'push fetch failed; retrying')
        await sleep(options.retryMs, signal)
        continue
      }
      for (const entry of entries) {
        if (inFlight.has(entry.position)) continue
        const pushing = push(entry).finally(() => {
          inFlight.delete(entry.position)
          slotFreed?.()
          slotFreed = null
        })
        inFlight.set(entry.position, pushing)
      }
    }
  }

  const loop = run()
  return {
    async stop() {
      controller.abort()
      slotFreed?.()
      await loop
      await Promise.all(inFlight.values())
    }
  }
}

function pushMetrics(registry: Registry, group: ConsumerGroup, logger: Logger) {
  new Gauge({
    name: 'mqchat_push_backlog',
    help: 'Chat log entries the push dispatchers have not finished yet',
    registers: [registry],
    async collect() {
      this.set(
        await group.backlog().catch((err: unknown) => {
          // a scrape during an outage still answers: the backlog is unknown, and why is logged
          logger.warn({ err }, 'push backlog unknown: reading it failed')
          return Number.NaN
        })
      )
    }
  })
  return {
    sent: new Counter({ name: 'mqchat_push_sent_total', help: 'Push webhook POSTs answered with 2xx', registers: [registry] }),
    failed: new Counter({
      name: 'mqchat_push_failed_total',
      help: 'Pushes given up: refused by the receiver (4xx) or retries exhausted',
      labelNames: ['reason'],
      registers: [registry]
    }),
    retries: new Counter({ name: 'mqchat_push_retries_total', help: 'Push POSTs that failed and were retried', registers: [registry] })
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}
