import type { ClientSpec } from '../generator-protocol.js'
import { nowUs } from '../histogram.js'
import { allTargetPids, busyMachineNote, per, settle, startCpuMeter, waitForDeliveries } from './measure.js'
import { atMostTimesReference } from './metric-target.js'
import type { Scenario, ScenarioContext } from './scenario.js'

/** Devices per room: a message to each room reaches every device. */
const ROOM_SIZE = 500
const ROOM_CONCURRENCY = 4
/** Reconnections in flight at once per generator process: "all at once", bounded so the generator itself keeps up. */
const STORM_CONCURRENCY = 1_000
/** A device whose reconnection fails backs off 0.25-1 s and tries again, this many times in all. */
const STORM_ATTEMPTS = 30
const DRAIN_TIMEOUT_MS = 120_000

/**
 * Reconnect storm (issue 11): `devices` idle devices, members of rooms of 500 and subscribed (QoS 1),
 * each room with one sender. Every device's socket is destroyed at the same instant from the client
 * side (the broker sees N connection resets, as after a network cut or a load balancer restart) and
 * every device reconnects at once and subscribes again (clean sessions); one that is refused or times
 * out backs off 0.25-1 s and tries again (up to 30 times), as devices do. Measured: time until all are
 * back, time until one message sent to each room then reached every device, broker CPU for it all.
 */
export const reconnectStorm: Scenario = {
  id: 'storm',
  title: 'reconnect storm',
  metrics: [
    { key: 'devices', label: 'devices back', digits: 0 },
    { key: 'retries', label: 'reconnections refused and retried', digits: 0 },
    { key: 'backSeconds', label: 'all reconnected and subscribed (s)', digits: 2 },
    { key: 'chattingSeconds', label: 'drop -> a message reached every device (s)', digits: 2 },
    { key: 'brokerCpuSeconds', label: 'broker CPU for the storm (s)', digits: 2 },
    { key: 'brokerCpuMsPerDevice', label: 'broker CPU ms / reconnect', digits: 3, target: atMostTimesReference(3) },
    { key: 'redisCpuSeconds', label: 'redis CPU for the storm (s)', digits: 2 }
  ],
  async run(context: ScenarioContext) {
    const { target, generator, options } = context
    const notes: string[] = []
    const specs = await openDeviceRooms(context, options.devices)
    const devices = specs.filter((spec) => spec.role === 'subscriber').length
    await settle(allTargetPids(target))

    context.log(`${target.name}: storm: dropping ${specs.length} connections at once`)
    await generator.all({ op: 'reset', recordFromUs: nowUs() })
    const cpu = startCpuMeter(target, generator.pids)
    const storms = await generator.all({ op: 'storm', keepalive: 60, concurrency: STORM_CONCURRENCY, attempts: STORM_ATTEMPTS }, 300_000)
    const droppedUs = Math.min(...storms.map((storm) => storm.droppedUs))
    const backUs = Math.max(...storms.map((storm) => storm.backUs))
    const failed = storms.reduce((sum, storm) => sum + storm.failed, 0)
    if (failed > 0) notes.push(`${failed} reconnections failed: ${storms.find((storm) => storm.firstError)?.firstError}`)

    const sent = await generator.all(
      { op: 'publish', count: 1, window: 1, payloadBytes: options.payloadBytes, idPrefix: 'storm', deadlineMs: 60_000 },
      70_000
    )
    const acked = sent.reduce((sum, part) => sum + part.acked, 0)
    const rooms = Math.ceil(devices / ROOM_SIZE)
    if (acked < rooms) notes.push(`${rooms - acked} of ${rooms} room messages not acknowledged`)
    const deliveries = await waitForDeliveries(generator, () => devices, { timeoutMs: DRAIN_TIMEOUT_MS, stallMs: 10_000 })
    await settle(allTargetPids(target))
    const used = cpu.stop()
    if (deliveries.received < devices) notes.push(`only ${deliveries.received} of ${devices} devices got the message after the storm`)
    notes.push(...busyMachineNote(used))
    const everyone = deliveries.received >= devices && deliveries.lastUs !== null
    return {
      metrics: {
        devices: storms.reduce((sum, storm) => sum + storm.connected, 0) - rooms,
        retries: storms.reduce((sum, storm) => sum + storm.retries, 0),
        backSeconds: (backUs - droppedUs) / 1e6,
        chattingSeconds: everyone && deliveries.lastUs !== null ? (deliveries.lastUs - droppedUs) / 1e6 : null,
        brokerCpuSeconds: used.broker,
        brokerCpuMsPerDevice: per(used.broker * 1000, specs.length),
        redisCpuSeconds: used.redis
      },
      notes
    }
  }
}

/** `count` devices in rooms of up to 500 (plus one sender per room), all connected and subscribed; returns their specs. */
async function openDeviceRooms(context: ScenarioContext, count: number): Promise<ClientSpec[]> {
  const { target, generator } = context
  const rooms = Math.ceil(count / ROOM_SIZE)
  context.log(`${target.name}: storm: registering ${count} devices and ${rooms} senders`)
  const devices = await target.users(count, 'bench-storm')
  const senders = await target.users(rooms, 'bench-storm-sender')
  const specs: ClientSpec[] = []
  let next = 0
  const worker = async () => {
    while (next < rooms) {
      const room = next++
      const members = devices.slice(room * ROOM_SIZE, (room + 1) * ROOM_SIZE)
      const { topic } = await target.room([senders[room]!, ...members])
      const spec = (login: (typeof members)[number], index: number, role: 'subscriber' | 'publisher'): ClientSpec => ({
        url: target.mqttUrls[index % target.mqttUrls.length]!,
        clientId: login.clientId,
        username: login.username,
        password: login.password,
        role,
        topic
      })
      specs.push(spec(senders[room]!, room, 'publisher'), ...members.map((login, index) => spec(login, index, 'subscriber')))
    }
  }
  await Promise.all(Array.from({ length: Math.min(ROOM_CONCURRENCY, rooms) }, worker))
  context.log(`${target.name}: storm: connecting ${specs.length} clients`)
  const result = await generator.connect(specs, 60, 600_000, 3)
  if (result.failed > 0) throw new Error(`${result.failed} of ${specs.length} devices failed to connect: ${result.firstError}`)
  return specs
}
