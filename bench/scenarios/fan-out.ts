import { nowUs } from '../histogram.js'
import { allTargetPids, busyMachineNote, type CpuUse, ms, per, settle, startCpuMeter, waitForDeliveries } from './measure.js'
import { atMostTimesReferenceByMode } from './metric-target.js'
import { openRoom, PUBLISH_WINDOW, type PublishOptions, publishRound } from './room.js'
import type { Scenario, ScenarioContext } from './scenario.js'

/** Messages per publisher sent (and delivered) before measuring, so that both brokers run warm code. */
const WARM_UP_MESSAGES = 20
const ROUND_TIMEOUT_MS = 120_000
const STALL_MS = 10_000

/** The CPU metrics S1 and S1p share. */
export const cpuMetrics = [
  { key: 'brokerCores', label: 'broker CPU (cores busy)', digits: 2 },
  { key: 'brokerBusiestThread', label: 'broker busiest thread (share of a core)', digits: 2 },
  { key: 'redisCores', label: 'redis CPU (cores busy)', digits: 2 },
  { key: 'persisterCores', label: 'bridge + database CPU (cores busy)', digits: 2 },
  { key: 'generatorCores', label: 'generator CPU (cores busy)', digits: 2 },
  { key: 'generatorCpuPer1k', label: 'generator CPU s / 1k deliveries', digits: 4 },
  { key: 'otherCores', label: 'other processes CPU (cores busy)', digits: 2 }
]

export function cpuValues(cpu: CpuUse, deliveries: number, busySeconds: number) {
  return {
    brokerCores: per(cpu.broker, busySeconds),
    brokerBusiestThread: per(cpu.brokerBusiestThread, busySeconds),
    redisCores: per(cpu.redis, busySeconds),
    persisterCores: per(cpu.persister, busySeconds),
    generatorCores: per(cpu.generator, busySeconds),
    generatorCpuPer1k: per(cpu.generator * 1000, deliveries),
    otherCores: per(cpu.other, cpu.wallSeconds)
  }
}

/** S1: one room, 100 subscribers, 10 publishers, QoS 1, ~200-byte chat messages, as fast as the broker takes them. */
export const fanOut: Scenario = {
  id: 'S1',
  title: 'room fan-out',
  metrics: [
    { key: 'deliveriesPerSecond', label: 'deliveries/s', digits: 0 },
    {
      key: 'brokerCpuPer1k',
      label: 'broker CPU s / 1k deliveries',
      digits: 4,
      target: atMostTimesReferenceByMode({ embedded: 1.2, cluster: 1.5 })
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
    const topic = await openRoom(context, 'bench-s1')
    const perMessage = options.subscribers
    const round = (count: number) => ({ count, window: PUBLISH_WINDOW, payloadBytes: options.payloadBytes, deadlineMs: ROUND_TIMEOUT_MS })

    context.log(`${target.name}: S1 warm-up on ${topic}`)
    await generator.all({ op: 'reset', recordFromUs: 0 })
    const warm = await publishRound(generator, 'warm', round(WARM_UP_MESSAGES))
    await waitForDeliveries(generator, () => warm.acked * perMessage, { timeoutMs: 30_000, stallMs: 5_000 })
    await settle(allTargetPids(target))

    const expected = options.publishers * options.messages * perMessage
    context.log(`${target.name}: S1 ${options.publishers} publishers x ${options.messages} messages -> ${expected} deliveries`)
    return { metrics: await measuredRound(context, 'run', round(options.messages), expected, notes), notes }
  }
}

/**
 * The measured round S1 and S2 share: publishes `publish` from every publisher while waiting for `expected`
 * deliveries, and answers the rates, latencies and CPU of that window (with notes on what went missing).
 */
export async function measuredRound(
  context: ScenarioContext,
  label: string,
  publish: PublishOptions,
  expected: number,
  notes: string[]
): Promise<Record<string, number | null>> {
  const { target, generator } = context
  await generator.all({ op: 'reset', recordFromUs: nowUs() })
  const cpu = startCpuMeter(target, generator.pids)
  const [sent, deliveries] = await Promise.all([
    publishRound(generator, label, publish),
    waitForDeliveries(generator, () => expected, { timeoutMs: publish.deadlineMs, stallMs: STALL_MS })
  ])
  const doneUs = deliveries.lastUs ?? nowUs()
  await settle(allTargetPids(target))
  const used = cpu.stop()
  const busySeconds = (doneUs - sent.startUs) / 1e6

  if (sent.failed > 0 || sent.acked < sent.sent) notes.push(`${sent.sent - sent.acked} of ${sent.sent} publishes not acknowledged`)
  if (deliveries.received < expected) notes.push(`only ${deliveries.received} of ${expected} deliveries arrived`)
  notes.push(...busyMachineNote(used))
  return {
    deliveriesPerSecond: per(deliveries.received, busySeconds),
    brokerCpuPer1k: per(used.broker * 1000, deliveries.received),
    redisCpuPer1k: per(used.redis === null ? null : used.redis * 1000, deliveries.received),
    p50Ms: ms(deliveries.latency.quantile(0.5)),
    p99Ms: ms(deliveries.latency.quantile(0.99)),
    deliveredPercent: per(deliveries.received * 100, expected),
    ...cpuValues(used, deliveries.received, busySeconds)
  }
}
