import { cpuMetrics, measuredRound } from './fan-out.js'
import { allTargetPids, settle, waitForDeliveries } from './measure.js'
import { atLeastTimesReference, atMostTimesReferenceByMode } from './metric-target.js'
import { openPairRooms } from './pair-rooms.js'
import { PUBLISH_WINDOW, publishRound } from './room.js'
import type { Scenario, ScenarioContext } from './scenario.js'

const WARM_UP_MESSAGES = 5
const ROUND_TIMEOUT_MS = 180_000

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
    const metrics = await measuredRound(context, 's2', round(options.roomMessages), expected, notes)
    return { metrics: { rooms: options.rooms, ...metrics }, notes }
  }
}
