import type { HistogramData } from './histogram.js'

/** One client a generator process connects. */
export interface ClientSpec {
  url: string
  clientId: string
  username?: string
  password?: string
  /** Subscribers subscribe (QoS 1) to `topic`; publishers send to it; idle clients only keep their connection. */
  role: 'subscriber' | 'publisher' | 'idle'
  topic?: string
}

/** What the orchestrator asks a generator process to do. */
export type GeneratorRequest =
  | { op: 'connect'; clients: ClientSpec[]; keepalive: number; concurrency: number }
  | {
      op: 'publish'
      /** Messages each of this process's publishers sends, QoS 1. */
      count: number
      /** Unacknowledged messages each publisher allows itself. */
      window: number
      payloadBytes: number
      /** Unique per run: message ids are `${idPrefix}-${publisher}-${n}`. */
      idPrefix: string
      /** Paces each publisher to this many messages per second; as fast as the window allows when absent. */
      perSecond?: number
      /** Gives up (answering with what was acknowledged) after this long. */
      deadlineMs: number
    }
  /** Zeroes the received counters; messages stamped before `recordFromUs` are not counted afterwards. */
  | { op: 'reset'; recordFromUs: number }
  | { op: 'stats' }
  | { op: 'close' }

export interface ConnectResult {
  connected: number
  failed: number
  firstError: string | null
}

export interface PublishResult {
  sent: number
  acked: number
  failed: number
  /** nowUs() when the first publish went out and when the last acknowledgement came back. */
  startUs: number
  endUs: number
}

export interface StatsResult {
  received: number
  /** nowUs() of the first and last counted delivery. */
  firstUs: number | null
  lastUs: number | null
  /** End-to-end latency of counted deliveries, microseconds. */
  latency: HistogramData
}

/** The answer to each request, by op. */
export interface GeneratorResults {
  connect: ConnectResult
  publish: PublishResult
  reset: null
  stats: StatsResult
  close: null
}

export type GeneratorMessage = { seq: number; request: GeneratorRequest }
export type GeneratorReply = { seq: number; ok: true; result: unknown } | { seq: number; ok: false; error: string }
