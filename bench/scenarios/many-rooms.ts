import { nowUs } from '../histogram.js'
import { cpuMetrics, cpuValues } from './fan-out.js'
import { allTargetPids, busyMachineNote, ms, per, settle, startCpuMeter, waitForDeliveries } from './measure.js'
import { atLeastTimesReference, atMostTimesReferenceByMode } from './metric-target.js'
import { openPairRooms } from './pair-rooms.js'
import { PUBLISH_WINDOW, publishRound } from './room.js'
import type { Scenario, ScenarioContext } from './scenario.js'

const WARM_UP_MESSAGES = 5
const ROUND_TIMEOUT_MS = 180_000
const STALL_MS = 10_000

/**
 * S2: 500 rooms of 2 members (SPEC §9), one publisher and one subscriber each, QoS 1, as fast as the
 * broker takes them: the per-message cost (validation, sequencing, append, one delivery) with no
 * fan-out to amortize it. Mosquitto gets the same shape: 500 topics, one publisher and one subscriber each.
 */
export const manyRooms: Scenario = {
  id: 'S2',
  title: 'many rooms (500 x 2)',
  metrics: [
    { key: 'rooms', label: 'rooms', digits: 0 },
    { key: 'deliveriesPerSecond', label: 'deliveries/s', digits: 0, target: atLeastTimesReference(0.7) },
    {
      key: 'brokerCpuPer1k',
      label: 'broker CPU s / 1k deliveries',
      digits: 4,
      target: atMostTimesReferenceByMode({ embedded: 2, cluster: 3 })
    },
    { key: 'redisCpuPer1k', label: 'redis CPU s / 1k deliveries', digits: 4 },
    { key: 'p50Ms', label: 'latency p50 (ms)', digits: 1 },
    { key: 'p99Ms', label: 'latency p99 (ms)', digits: 1 },
    { key: 'deliveredPercent', label: 'delivered (% of expected)', digits: 1 },
    ...cpuMetrics
  ],
  async run(context: ScenarioContext) {
    const { target, generator, options } = context
    const notes: string[] = []
    await openPairRooms(context, options.rooms, 'bench-s2')
    const round = (count: number) => ({ count, window: PUBLISH_WINDOW, payloadBytes: options.payloadBytes, deadlineMs: ROUND_TIMEOUT_MS })

    context.log(`${target.name}: S2 warm-up`)
    await generator.all({ op: 'reset', recordFromUs: 0 })
    const warm = await publishRound(generator, 's2warm', round(WARM_UP_MESSAGES))
    await waitForDeliveries(generator, () => warm.acked, { timeoutMs: 30_000, stallMs: 5_000 })
    await settle(allTargetPids(target))

    const expected = options.rooms * options.roomMessages
    context.log(`${target.name}: S2 ${options.rooms} publishers x ${options.roomMessages} messages -> ${expected} deliveries`)
    await generator.all({ op: 'reset', recordFromUs: nowUs() })
    const cpu = startCpuMeter(target, generator.pids)
    const [sent, deliveries] = await Promise.all([
      publishRound(generator, 's2', round(options.roomMessages)),
      waitForDeliveries(generator, () => expected, { timeoutMs: ROUND_TIMEOUT_MS, stallMs: STALL_MS })
    ])
    const doneUs = deliveries.lastUs ?? nowUs()
    await settle(allTargetPids(target))
    const used = cpu.stop()
    const busySeconds = (doneUs - sent.startUs) / 1e6

    if (sent.failed > 0 || sent.acked < sent.sent) notes.push(`${sent.sent - sent.acked} of ${sent.sent} publishes not acknowledged`)
    if (deliveries.received < expected) notes.push(`only ${deliveries.received} of ${expected} deliveries arrived`)
    notes.push(...busyMachineNote(used))
    return {
      metrics: {
        rooms: options.rooms,
        deliveriesPerSecond: per(deliveries.received, busySeconds),
        brokerCpuPer1k: per(used.broker * 1000, deliveries.received),
        redisCpuPer1k: per(used.redis === null ? null : used.redis * 1000, deliveries.received),
        p50Ms: ms(deliveries.latency.quantile(0.5)),
        p99Ms: ms(deliveries.latency.quantile(0.99)),
        deliveredPercent: per(deliveries.received * 100, expected),
        ...cpuValues(used, deliveries.received, busySeconds)
      },
      notes
    }
  }
}
