import { nowUs } from '../histogram.js'
import type { LoadGenerator } from '../load-generator.js'
import { allTargetPids, busyMachineNote, type Deliveries, per, settle, startCpuMeter, waitForDeliveries } from './measure.js'
import { atLeast, zero } from './metric-target.js'
import { openRoom, PUBLISH_WINDOW, publishRound } from './room.js'
import type { Scenario, ScenarioContext } from './scenario.js'

const WARM_UP_MESSAGES = 20
const ROUND_TIMEOUT_MS = 180_000
const STALL_MS = 10_000

/**
 * S1-offline (SPEC §9): S1's room with persistent sessions (clean=false, QoS 1). A baseline round with
 * every subscriber online, then the same round during which every n-th subscriber disconnects once a
 * third of the deliveries arrived and reconnects (resuming its session) at two thirds. Every
 * subscriber checks that it got every message once and in order (room seq where the broker adds one,
 * each publisher's own order everywhere). Mosquitto: the same, its sessions queueing QoS 1 messages.
 */
export const offlineSessions: Scenario = {
  id: 'S1-offline',
  title: 'S1 with persistent sessions, some subscribers away and back',
  metrics: [
    { key: 'baselinePerSecond', label: 'deliveries/s, all online', digits: 0 },
    { key: 'deliveriesPerSecond', label: 'deliveries/s, some away and back', digits: 0 },
    { key: 'throughputOverBaseline', label: 'throughput / all-online round', digits: 2, target: atLeast(0.8, '× all online') },
    { key: 'offlineSubscribers', label: 'subscribers away and back', digits: 0 },
    { key: 'awayAtPercent', label: 'went away at (% of deliveries)', digits: 0 },
    { key: 'backAtPercent', label: 'came back at (% of deliveries)', digits: 0 },
    { key: 'missing', label: 'messages missing', digits: 0, target: zero },
    { key: 'duplicates', label: 'messages delivered twice', digits: 0, target: zero },
    { key: 'redelivered', label: 'of which MQTT retransmissions (DUP flag)', digits: 0 },
    { key: 'outOfOrder', label: 'messages out of order', digits: 0, target: zero },
    { key: 'brokerCpuPer1k', label: 'broker CPU s / 1k deliveries', digits: 4 }
  ],
  async run(context: ScenarioContext) {
    const { target, generator, options } = context
    const notes: string[] = []
    const away = (index: number) => index < options.subscribers && index % options.offlineEvery === 0
    await openRoom(context, 'bench-s1o', (spec, index) =>
      spec.role === 'subscriber' ? { ...spec, clean: false, track: true, ...(away(index) ? { group: 'offline' as const } : {}) } : spec
    )
    const round = (count: number) => ({ count, window: PUBLISH_WINDOW, payloadBytes: options.payloadBytes, deadlineMs: ROUND_TIMEOUT_MS })
    const perMessage = options.subscribers

    context.log(`${target.name}: S1-offline warm-up`)
    await generator.all({ op: 'reset', recordFromUs: 0 })
    const warm = await publishRound(generator, 'o-warm', round(WARM_UP_MESSAGES))
    await waitForDeliveries(generator, () => warm.acked * perMessage, { timeoutMs: 30_000, stallMs: 5_000 })
    await settle(allTargetPids(target))

    const expected = options.publishers * options.messages * perMessage
    context.log(`${target.name}: S1-offline baseline, every subscriber online: ${expected} deliveries`)
    await generator.all({ op: 'reset', recordFromUs: nowUs() })
    const [base, baseDeliveries] = await Promise.all([
      publishRound(generator, 'o-base', round(options.messages)),
      waitForDeliveries(generator, () => expected, { timeoutMs: ROUND_TIMEOUT_MS, stallMs: STALL_MS })
    ])
    await settle(allTargetPids(target))
    const baseline = throughput(baseDeliveries, base.startUs)

    context.log(`${target.name}: S1-offline, 1 in ${options.offlineEvery} subscribers away from 1/3 to 2/3 of the round`)
    await generator.all({ op: 'reset', recordFromUs: nowUs() })
    const cpu = startCpuMeter(target, generator.pids)
    const publishing = publishRound(generator, 'o-run', round(options.messages))
    const offline = await awayAndBack(generator, expected)
    const sent = await publishing
    const deliveries = await waitForDeliveries(generator, () => sent.acked * perMessage, { timeoutMs: ROUND_TIMEOUT_MS, stallMs: STALL_MS })
    await settle(allTargetPids(target))
    const used = cpu.stop()
    const order = (await generator.all({ op: 'order' })).reduce((sum, part) => ({
      distinct: sum.distinct + part.distinct,
      duplicates: sum.duplicates + part.duplicates,
      redelivered: sum.redelivered + part.redelivered,
      outOfOrder: sum.outOfOrder + part.outOfOrder
    }))
    const run = throughput(deliveries, sent.startUs)

    if (base.acked < base.sent || sent.acked < sent.sent) notes.push('some publishes were not acknowledged')
    if (offline.backAt >= expected) notes.push('the round was over before the subscribers came back: run more --messages')
    if (offline.failed > 0) notes.push(`${offline.failed} subscribers failed to come back: ${offline.firstError}`)
    notes.push(...busyMachineNote(used))
    return {
      metrics: {
        baselinePerSecond: baseline,
        deliveriesPerSecond: run,
        throughputOverBaseline: run === null || baseline === null ? null : per(run, baseline),
        offlineSubscribers: offline.away,
        awayAtPercent: per(offline.awayAt * 100, expected),
        backAtPercent: per(offline.backAt * 100, expected),
        missing: Math.max(0, sent.acked * perMessage - order.distinct),
        duplicates: order.duplicates + order.redelivered,
        redelivered: order.redelivered,
        outOfOrder: order.outOfOrder,
        brokerCpuPer1k: per(used.broker * 1000, deliveries.received)
      },
      notes
    }
  }
}

const throughput = (deliveries: Deliveries, startUs: number) =>
  deliveries.lastUs === null ? null : per(deliveries.received, (deliveries.lastUs - startUs) / 1e6)

/** Takes the 'offline' group away once a third of `expected` arrived, back at two thirds (or when deliveries stall). */
async function awayAndBack(generator: LoadGenerator, expected: number) {
  const awayAt = (await waitForDeliveries(generator, () => Math.floor(expected / 3), { timeoutMs: ROUND_TIMEOUT_MS, stallMs: STALL_MS }))
    .received
  const away = (await generator.all({ op: 'offline' })).reduce((sum, count) => sum + count, 0)
  const backAt = (await waitForDeliveries(generator, () => Math.floor((2 * expected) / 3), { timeoutMs: ROUND_TIMEOUT_MS, stallMs: 2_000 }))
    .received
  const back = await generator.all({ op: 'online', keepalive: 60, concurrency: 100 }, 120_000)
  return {
    away,
    awayAt,
    backAt,
    failed: back.reduce((sum, part) => sum + part.failed, 0),
    firstError: back.find((part) => part.firstError)?.firstError ?? null
  }
}
