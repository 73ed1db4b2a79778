import type { OrderResult } from './generator-order.js'
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
  /** A publisher cycles through these topics instead of sending to `topic` (S4m: one sender, many rooms). */
  topics?: string[]
  /** False for a persistent session (S1-offline); true (a clean session) when absent. */
  clean?: boolean
  /** 'offline': a subscriber the `offline` request disconnects and `online` brings back (S1-offline). */
  group?: 'offline'
  /** Checks that this subscriber receives every message once, in order (OrderTracker). */
  track?: boolean
}

/** What the orchestrator asks a generator process to do. */
export type GeneratorRequest =
  /** `attempts`: tries per client (a failed one backs off 0.25-1 s); 1 when absent. */
  | { op: 'connect'; clients: ClientSpec[]; keepalive: number; concurrency: number; attempts?: number }
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
  /** Disconnects (cleanly) every client of the 'offline' group. */
  | { op: 'offline' }
  /** Reconnects the 'offline' group with its sessions (clean=false resumes them). */
  | { op: 'online'; keepalive: number; concurrency: number }
  /** Destroys every client's socket at the same instant, then reconnects them all (a reconnect storm). */
  | { op: 'storm'; keepalive: number; concurrency: number; attempts: number }
  /** What the tracked subscribers saw (OrderTracker). */
  | { op: 'order' }

export interface ConnectResult {
  connected: number
  failed: number
  firstError: string | null
  /** Connections tried again after a failure (a storm's devices back off and retry). */
  retries: number
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
  /** Counted deliveries by the URL their subscriber is connected to (per node of a cluster). */
  byUrl: Record<string, number>
}

export interface StormResult extends ConnectResult {
  /** nowUs() when every socket was destroyed, and when the last reconnection got its CONNACK (and subscription). */
  droppedUs: number
  backUs: number
}

/** The answer to each request, by op. */
export interface GeneratorResults {
  connect: ConnectResult
  publish: PublishResult
  reset: null
  stats: StatsResult
  close: null
  offline: number
  online: ConnectResult
  storm: StormResult
  order: OrderResult
}

export type GeneratorMessage = { seq: number; request: GeneratorRequest }
export type GeneratorReply = { seq: number; ok: true; result: unknown } | { seq: number; ok: false; error: string }
