import type { StatsResult } from '../generator-protocol.js'
import { Histogram, nowUs } from '../histogram.js'
import type { LoadGenerator } from '../load-generator.js'
import { machineCpuSeconds, sleep, threadCpuSeconds, totalCpuSeconds } from '../services/proc.js'
import type { RunningTarget } from '../targets/target.js'

/** The processes of a target, by role. */
export type TargetPids = Pick<RunningTarget, 'pids' | 'redisPids' | 'persisterPids'>

/** Every process of a target: brokers, Redis, bridge and database. */
export const allTargetPids = (target: TargetPids): number[] => [...target.pids, ...target.redisPids, ...target.persisterPids]

/** CPU seconds the broker and the load generator used over one measured window. */
export interface CpuUse {
  broker: number
  /** Redis and the bridge with its database, when the target runs them (a cluster); null otherwise. */
  redis: number | null
  persister: number | null
  generator: number
  /** CPU seconds of the broker thread that used the most: near the elapsed time it is the bottleneck (a saturated event loop). */
  brokerBusiestThread: number
  /** Everything else on the machine (this process included): other load distorts the numbers on 2 cores. */
  other: number
  wallSeconds: number
}

/** Starts measuring; `stop()` reads the counters again. Call `settle` first when the broker may still be busy. */
export function startCpuMeter(target: TargetPids, generatorPids: readonly number[]) {
  const brokerPids = target.pids
  const groupCpu = (pids: readonly number[]) => (pids.length > 0 ? totalCpuSeconds(pids) : null)
  const since = (before: number | null, pids: readonly number[]) => (before === null ? null : totalCpuSeconds(pids) - before)
  const broker = totalCpuSeconds(brokerPids)
  const redis = groupCpu(target.redisPids)
  const persister = groupCpu(target.persisterPids)
  const generator = totalCpuSeconds(generatorPids)
  const machine = machineCpuSeconds()
  const threads = new Map(brokerPids.flatMap((pid) => [...threadCpuSeconds(pid)]))
  const start = nowUs()
  return {
    startUs: start,
    stop: (): CpuUse => {
      const used = {
        broker: totalCpuSeconds(brokerPids) - broker,
        redis: since(redis, target.redisPids),
        persister: since(persister, target.persisterPids),
        generator: totalCpuSeconds(generatorPids) - generator
      }
      const own = used.broker + (used.redis ?? 0) + (used.persister ?? 0) + used.generator
      const other = Math.max(0, machineCpuSeconds() - machine - own)
      const busiest = brokerPids
        .flatMap((pid) => [...threadCpuSeconds(pid)])
        .reduce((most, [thread, seconds]) => Math.max(most, seconds - (threads.get(thread) ?? 0)), 0)
      return { ...used, brokerBusiestThread: busiest, other, wallSeconds: (nowUs() - start) / 1e6 }
    }
  }
}

/**
 * Waits until the broker is idle (under 2% of a core over 250 ms), at most `maxMs`: work it does after
 * the last delivery (mqchat's persister writing history) belongs to the measured messages.
 */
export async function settle(pids: readonly number[], maxMs = 3_000): Promise<void> {
  const deadline = Date.now() + maxMs
  let last = totalCpuSeconds(pids)
  while (Date.now() < deadline) {
    await sleep(250)
    const now = totalCpuSeconds(pids)
    if (now - last < 0.005) return
    last = now
  }
}

/** What every subscriber in every generator process counted. */
export interface Deliveries {
  received: number
  firstUs: number | null
  lastUs: number | null
  latency: Histogram
  /** Deliveries by the URL (node) their subscriber is connected to. */
  byUrl: Record<string, number>
}

export function mergeStats(parts: readonly StatsResult[]): Deliveries {
  const firsts = parts.map((part) => part.firstUs).filter((value): value is number => value !== null)
  const lasts = parts.map((part) => part.lastUs).filter((value): value is number => value !== null)
  return {
    received: parts.reduce((sum, part) => sum + part.received, 0),
    firstUs: firsts.length > 0 ? Math.min(...firsts) : null,
    lastUs: lasts.length > 0 ? Math.max(...lasts) : null,
    latency: Histogram.merge(parts.map((part) => part.latency)),
    byUrl: parts.reduce<Record<string, number>>((sum, part) => {
      for (const [url, count] of Object.entries(part.byUrl)) sum[url] = (sum[url] ?? 0) + count
      return sum
    }, {})
  }
}

/**
 * Polls the generator until `expected` deliveries were counted, nothing new arrived for `stallMs`,
 * or `timeoutMs` passed. `expected` may grow while it waits (paced publishers still sending).
 */
export async function waitForDeliveries(
  generator: LoadGenerator,
  expected: () => number,
  options: { timeoutMs: number; stallMs: number }
): Promise<Deliveries> {
  const deadline = Date.now() + options.timeoutMs
  let seen = -1
  let seenAt = Date.now()
  for (;;) {
    const stats = mergeStats(await generator.all({ op: 'stats' }))
    if (stats.received >= expected() || Date.now() > deadline) return stats
    if (stats.received !== seen) {
      seen = stats.received
      seenAt = Date.now()
    } else if (Date.now() - seenAt > options.stallMs) {
      return stats
    }
    await sleep(50)
  }
}

/** Other processes busier than this (cores) during a measured window get a note: the 2 cores were shared. */
const BUSY_MACHINE_CORES = 0.25

/** A note when other processes used a noticeable share of the machine while this window was measured. */
export function busyMachineNote(cpu: CpuUse): string[] {
  const cores = cpu.wallSeconds > 0 ? cpu.other / cpu.wallSeconds : 0
  return cores > BUSY_MACHINE_CORES
    ? [`other processes kept ${cores.toFixed(2)} cores busy while this was measured; rerun on a quiet machine`]
    : []
}

/** Microseconds to milliseconds, keeping null. */
export const ms = (us: number | null): number | null => (us === null ? null : us / 1000)

/** `part / whole`, null when the whole is zero or the part was not measured. */
export const per = (part: number | null, whole: number): number | null => (part !== null && whole > 0 ? part / whole : null)
