import { nowUs } from '../histogram.js'
import { sleep, totalCpuSeconds } from '../services/proc.js'
import { allTargetPids, busyMachineNote, per, settle, startCpuMeter, waitForDeliveries } from './measure.js'
import { atMost } from './metric-target.js'
import { openPairRooms } from './pair-rooms.js'
import { PUBLISH_WINDOW, publishRound } from './room.js'
import type { Scenario, ScenarioContext, ScenarioRun } from './scenario.js'

const WARM_UP_MESSAGES = 5
const ROUND_TIMEOUT_MS = 180_000
const STALL_MS = 10_000
const NODES = 3

/** SPEC's "≈ 0" for node C, read as: what other nodes' rooms cost it is at most 5% of what nodes A and B spent serving them. */
const IDLE_NODE_SHARE = 0.05

/**
 * S4 (SPEC §9): 3 broker nodes on a Redis Cluster (target cluster-rc). S2's rooms of 2, every room's
 * publisher on node A or B and its subscriber on the other one, node C with no client in any room.
 * Per node: CPU per delivery it made; node C: its CPU over the run minus its CPU over an idle window
 * of the same length just after (timers, health checks), i.e. what other nodes' rooms cost it.
 */
export const scaleOut: Scenario = {
  id: 'S4',
  title: 'scale-out on a Redis Cluster, node C serving no room',
  metrics: [
    { key: 'deliveriesPerSecond', label: 'deliveries/s (cluster)', digits: 0 },
    { key: 'nodeACpuPer1k', label: 'node A CPU s / 1k deliveries it made', digits: 4 },
    { key: 'nodeBCpuPer1k', label: 'node B CPU s / 1k deliveries it made', digits: 4 },
    { key: 'nodeCCpuSeconds', label: 'node C CPU over the run (s)', digits: 3 },
    { key: 'nodeCIdleCpuSeconds', label: 'node C CPU, idle window as long, after (s)', digits: 3 },
    { key: 'nodeCCpuPer1k', label: 'node C CPU s / 1k cluster deliveries, over idle', digits: 4 },
    { key: 'nodeCShare', label: 'node C CPU over idle / nodes A + B CPU', digits: 3, target: atMost(IDLE_NODE_SHARE, '(≈ 0)') },
    { key: 'redisCpuPer1k', label: 'redis CPU s / 1k deliveries (all nodes)', digits: 4 },
    { key: 'deliveredPercent', label: 'delivered (% of expected)', digits: 1 }
  ],
  async run(context: ScenarioContext): Promise<ScenarioRun> {
    const { target, generator, options } = context
    if (target.mqttUrls.length < NODES) {
      return { metrics: {}, notes: [`S4 needs ${NODES} broker nodes (target cluster-rc); ${target.name} has ${target.mqttUrls.length}`] }
    }
    const notes: string[] = []
    const [a, b, c] = target.pids as [number, number, number]
    // nodes A (0) and B (1) only: a room's two members on different nodes, none on C (2)
    await openPairRooms(context, options.rooms, 'bench-s4', (room, role) => (room + (role === 'subscriber' ? 1 : 0)) % 2)
    const round = (count: number) => ({ count, window: PUBLISH_WINDOW, payloadBytes: options.payloadBytes, deadlineMs: ROUND_TIMEOUT_MS })

    context.log(`${target.name}: S4 warm-up`)
    await generator.all({ op: 'reset', recordFromUs: 0 })
    const warm = await publishRound(generator, 's4warm', round(WARM_UP_MESSAGES))
    await waitForDeliveries(generator, () => warm.acked, { timeoutMs: 30_000, stallMs: 5_000 })
    await settle(allTargetPids(target))

    const expected = options.rooms * options.roomMessages
    context.log(`${target.name}: S4 ${options.rooms} rooms on nodes A and B x ${options.roomMessages} messages`)
    await generator.all({ op: 'reset', recordFromUs: nowUs() })
    const before = new Map([a, b, c].map((pid) => [pid, totalCpuSeconds([pid])]))
    const cpu = startCpuMeter(target, generator.pids)
    const [sent, deliveries] = await Promise.all([
      publishRound(generator, 's4', round(options.roomMessages)),
      waitForDeliveries(generator, () => expected, { timeoutMs: ROUND_TIMEOUT_MS, stallMs: STALL_MS })
    ])
    const doneUs = deliveries.lastUs ?? nowUs()
    await settle(allTargetPids(target))
    const used = cpu.stop()
    const spent = (pid: number) => totalCpuSeconds([pid]) - (before.get(pid) ?? 0)
    const [cpuA, cpuB, cpuC] = [spent(a), spent(b), spent(c)]

    // node C's own background over an idle window as long as the run
    const idleStart = totalCpuSeconds([c])
    await sleep(used.wallSeconds * 1000)
    const idleC = totalCpuSeconds([c]) - idleStart

    const [urlA, urlB] = target.mqttUrls as [string, string]
    const madeA = deliveries.byUrl[urlA] ?? 0
    const madeB = deliveries.byUrl[urlB] ?? 0
    if (sent.acked < sent.sent) notes.push(`${sent.sent - sent.acked} of ${sent.sent} publishes not acknowledged`)
    if (deliveries.received < expected) notes.push(`only ${deliveries.received} of ${expected} deliveries arrived`)
    notes.push(...busyMachineNote(used))
    return {
      metrics: {
        deliveriesPerSecond: per(deliveries.received, (doneUs - sent.startUs) / 1e6),
        nodeACpuPer1k: per(cpuA * 1000, madeA),
        nodeBCpuPer1k: per(cpuB * 1000, madeB),
        nodeCCpuSeconds: cpuC,
        nodeCIdleCpuSeconds: idleC,
        nodeCCpuPer1k: per(Math.max(0, cpuC - idleC) * 1000, deliveries.received),
        nodeCShare: per(Math.max(0, cpuC - idleC), cpuA + cpuB),
        redisCpuPer1k: per(used.redis === null ? null : used.redis * 1000, deliveries.received),
        deliveredPercent: per(deliveries.received * 100, expected)
      },
      notes
    }
  }
}
