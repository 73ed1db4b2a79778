import type { ClientSpec } from '../generator-protocol.js'
import { sleep } from '../services/proc.js'
import { allTargetPids, busyMachineNote, per, settle, startCpuMeter } from './measure.js'
import { PUBLISH_WINDOW, publishRound } from './room.js'
import type { Scenario, ScenarioContext } from './scenario.js'

/** Senders, each the only member of its share of the rooms, cycling through them. */
const SENDERS = 10
const ROOM_CONCURRENCY = 8
/** Where used_memory is read, as fractions of --memory-messages (SPEC: 100k, 250k, 500k, 1M of 1M). */
const CHECKPOINTS = [0.1, 0.25, 0.5, 1] as const
const SEGMENT_TIMEOUT_MS = 1_800_000
/** The persisters drain the log after each segment; the bridge may need a while on a busy machine. */
const DRAIN_TIMEOUT_MS = 600_000
/** After the last acknowledgement the partition streams are trimmed within 5 s (redis-chat-log.ts). */
const TRIM_SETTLE_MS = 6_000

const labels = CHECKPOINTS.map((share) => `${Math.round(share * 100)}%`)
const keys = CHECKPOINTS.map((share) => `at${Math.round(share * 100)}`)

/**
 * S4m (SPEC §9, issue 10): messages appended through MQTT (so the whole send path's keys are there)
 * in `--memory-rooms` rooms, Redis `used_memory` summed over the masters read at checkpoints. Bytes
 * per message overall, and per message added since the last checkpoint: the latter falls to ~0 once
 * every room is past its windows (room stream length, idempotency window: --stream-length and
 * --idempotency-window set them on the target). Needs a target with Redis (cluster, cluster-rc).
 */
export const redisMemory: Scenario = {
  id: 'S4m',
  title: 'Redis memory per message',
  metrics: [
    { key: 'messages', label: 'messages appended', digits: 0 },
    { key: 'rooms', label: 'rooms', digits: 0 },
    { key: 'baseMiB', label: 'redis used_memory before (MiB)', digits: 1 },
    ...keys.map((key, index) => ({ key: `${key}MiB`, label: `used_memory at ${labels[index]} (MiB)`, digits: 1 })),
    ...keys.map((key, index) => ({ key: `${key}PerMessage`, label: `bytes / message at ${labels[index]}`, digits: 0 })),
    ...keys.map((key, index) => ({ key: `${key}Marginal`, label: `bytes / message added up to ${labels[index]}`, digits: 0 })),
    { key: 'messagesPerSecond', label: 'appends/s', digits: 0 }
  ],
  async run(context: ScenarioContext) {
    const { target, generator, options } = context
    const usedMemory = target.redisMemoryBytes
    if (!usedMemory) return { metrics: {}, notes: [`S4m needs a target with Redis (cluster, cluster-rc); ${target.name} has none`] }
    const notes: string[] = []
    const senders = Math.min(SENDERS, options.memoryRooms)
    const perSender = Math.floor(options.memoryMessages / senders)
    await openSenderRooms(context, senders, options.memoryRooms)
    await settle(allTargetPids(target), 10_000)

    const metrics: Record<string, number | null> = { messages: perSender * senders, rooms: options.memoryRooms }
    const base = await usedMemory()
    metrics.baseMiB = base / 2 ** 20
    let done = 0
    let last = base
    const cpu = startCpuMeter(target, generator.pids)
    let publishUs = 0
    for (const [index, share] of CHECKPOINTS.entries()) {
      const count = Math.round(perSender * share) - done
      context.log(`${target.name}: S4m appending ${count * senders} messages (to ${labels[index]})`)
      const sent = await publishRound(generator, `mem${index}`, {
        count,
        window: PUBLISH_WINDOW,
        payloadBytes: options.payloadBytes,
        deadlineMs: SEGMENT_TIMEOUT_MS
      })
      publishUs += sent.endUs - sent.startUs
      if (sent.acked < sent.sent) notes.push(`${labels[index]}: ${sent.sent - sent.acked} of ${sent.sent} publishes not acknowledged`)
      done += count
      await drained(target.httpUrl)
      await sleep(TRIM_SETTLE_MS)
      const used = await usedMemory()
      const key = keys[index]!
      metrics[`${key}MiB`] = used / 2 ** 20
      metrics[`${key}PerMessage`] = per(used - base, done * senders)
      metrics[`${key}Marginal`] = per(used - last, count * senders)
      last = used
    }
    metrics.messagesPerSecond = per(done * senders, publishUs / 1e6)
    notes.push(...busyMachineNote(cpu.stop()))
    notes.push(
      `flat once every room is past its windows: ${options.memoryRooms} rooms x the larger of the stream length and 2 x the idempotency window`
    )
    return { metrics, notes }
  }
}

/** `senders` users, each the only member of `rooms / senders` rooms, connected as publishers cycling through their rooms. */
async function openSenderRooms(context: ScenarioContext, senders: number, rooms: number): Promise<void> {
  const { target, generator } = context
  const logins = await target.users(senders, 'bench-mem')
  context.log(`${target.name}: S4m creating ${rooms} rooms`)
  const topics: string[][] = logins.map(() => [])
  let next = 0
  const worker = async () => {
    while (next < rooms) {
      const room = next++
      const sender = room % senders
      topics[sender]!.push((await target.room([logins[sender]!])).topic)
    }
  }
  await Promise.all(Array.from({ length: Math.min(ROOM_CONCURRENCY, rooms) }, worker))
  const specs: ClientSpec[] = logins.map((login, index) => ({
    url: target.mqttUrls[index % target.mqttUrls.length]!,
    clientId: login.clientId,
    username: login.username,
    password: login.password,
    role: 'publisher',
    topics: topics[index]
  }))
  const result = await generator.connect(specs, 60, 300_000)
  if (result.failed > 0) throw new Error(`${result.failed} of ${specs.length} senders failed to connect: ${result.firstError}`)
}

/** Until the bridge's `mqchat_log_backlog` (its GET /metrics) is 0: what the persisters have not stored is still in Redis. */
async function drained(httpUrl: string | undefined): Promise<void> {
  if (!httpUrl) throw new Error('S4m needs the bridge of the target to read its chat log backlog')
  const deadline = Date.now() + DRAIN_TIMEOUT_MS
  for (;;) {
    const text = await (await fetch(`${httpUrl}/metrics`)).text()
    const backlog = Number(/^mqchat_log_backlog (\S+)$/m.exec(text)?.[1])
    if (backlog === 0) return
    if (Date.now() > deadline) throw new Error(`the chat log backlog is still ${backlog} after ${DRAIN_TIMEOUT_MS / 1000} s`)
    await sleep(500)
  }
}
