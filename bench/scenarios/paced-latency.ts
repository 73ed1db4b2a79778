import { nowUs } from '../histogram.js'
import { sleep } from '../services/proc.js'
import { cpuMetrics, cpuValues } from './fan-out.js'
import { allTargetPids, busyMachineNote, ms, per, settle, startCpuMeter, waitForDeliveries } from './measure.js'
import { atMostTimesReferenceByMode } from './metric-target.js'
import { openRoom, PUBLISH_WINDOW, publishRound } from './room.js'
import type { Scenario, ScenarioContext } from './scenario.js'

/** Paced sending before latencies count, so that connections, JIT and caches are warm. */
const WARM_UP_SECONDS = 1
const DRAIN_MS = 5_000

/** S1p: S1's room at a fixed total delivery rate (default 20,000/s): end-to-end latency when not saturated. */
export const pacedLatency: Scenario = {
  id: 'S1p',
  title: 'latency at a fixed rate',
  metrics: [
    { key: 'deliveriesPerSecond', label: 'deliveries/s (held)', digits: 0 },
    { key: 'p50Ms', label: 'latency p50 (ms)', digits: 2 },
    { key: 'p99Ms', label: 'latency p99 (ms)', digits: 2, target: atMostTimesReferenceByMode({ embedded: 1.5, cluster: 2 }) },
    { key: 'maxMs', label: 'latency max (ms)', digits: 1 },
    ...cpuMetrics
  ],
  async run(context: ScenarioContext) {
    const { target, generator, options } = context
    const notes: string[] = []
    await openRoom(context, 'bench-s1p')
    const perPublisher = options.rate / options.subscribers / options.publishers
    const count = Math.max(1, Math.round(perPublisher * (WARM_UP_SECONDS + options.duration)))
    context.log(
      `${target.name}: S1p ${options.rate} deliveries/s (${perPublisher.toFixed(1)} msg/s per publisher) for ${options.duration}+${WARM_UP_SECONDS} s`
    )

    const recordFromUs = nowUs() + WARM_UP_SECONDS * 1e6
    await generator.all({ op: 'reset', recordFromUs })
    const publishing = publishRound(generator, 'paced', {
      count,
      window: PUBLISH_WINDOW,
      payloadBytes: options.payloadBytes,
      perSecond: perPublisher,
      deadlineMs: (WARM_UP_SECONDS + options.duration) * 1000 + 30_000
    })
    await sleep(Math.max(0, (recordFromUs - nowUs()) / 1000))
    const cpu = startCpuMeter(target, generator.pids)
    const sent = await publishing
    // what was sent after recordFromUs, to every subscriber; the drain stops early if some never arrive
    const expected = Math.round(((sent.acked * options.duration) / (WARM_UP_SECONDS + options.duration)) * options.subscribers)
    const deliveries = await waitForDeliveries(generator, () => expected, { timeoutMs: DRAIN_MS, stallMs: 1_000 })
    const doneUs = deliveries.lastUs ?? nowUs()
    await settle(allTargetPids(target))
    const used = cpu.stop()
    const busySeconds = (doneUs - cpu.startUs) / 1e6

    if (sent.acked < sent.sent) notes.push(`${sent.sent - sent.acked} of ${sent.sent} publishes not acknowledged`)
    const heldSeconds = (sent.endUs - recordFromUs) / 1e6
    if (heldSeconds > options.duration * 1.1) {
      notes.push(
        `the last publish was acknowledged ${heldSeconds.toFixed(1)} s into ${options.duration} s of paced sends: the broker fell behind`
      )
    }
    notes.push(...busyMachineNote(used))
    return {
      metrics: {
        deliveriesPerSecond: per(deliveries.received, busySeconds),
        p50Ms: ms(deliveries.latency.quantile(0.5)),
        p99Ms: ms(deliveries.latency.quantile(0.99)),
        maxMs: ms(deliveries.latency.quantile(1)),
        ...cpuValues(used, deliveries.received, busySeconds)
      },
      notes
    }
  }
}
