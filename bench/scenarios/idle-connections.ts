import type { ClientSpec } from '../generator-protocol.js'
import { nowUs } from '../histogram.js'
import { sleep, totalRssBytes } from '../services/proc.js'
import { allTargetPids, per, settle, startCpuMeter } from './measure.js'
import { atMost, atMostTimesReference } from './metric-target.js'
import type { Scenario, ScenarioContext } from './scenario.js'

const KEEPALIVE_SECONDS = 60
/** Time for the broker to finish what connecting started (presence, session writes) before RSS is read. */
const QUIET_MS = 1_000
/** Connections opened and closed before the baseline, so that one-time costs (code loaded and compiled on first use) do not count. */
const WARM_UP_CONNECTIONS = 100

/**
 * S3: N idle connections (keepalive 60): broker memory per connection, connected in two halves to show
 * whether it stays flat. A cluster's connections alternate between its nodes; their RSS is summed.
 */
export const idleConnections: Scenario = {
  id: 'S3',
  title: 'idle connections',
  metrics: [
    { key: 'connections', label: 'connections held', digits: 0 },
    { key: 'rssPerConnectionKiB', label: 'broker RSS / connection (KiB)', digits: 2, target: atMost(8, 'KiB') },
    { key: 'rssPerConnectionSecondHalfKiB', label: 'same, second half only (KiB)', digits: 2 },
    { key: 'connectsPerSecond', label: 'connects/s', digits: 0 },
    { key: 'brokerCpuMsPerConnect', label: 'broker CPU ms / connect', digits: 3, target: atMostTimesReference(3) },
    { key: 'brokerRssMiB', label: 'broker RSS at the end (MiB)', digits: 1 },
    { key: 'redisRssPerConnectionKiB', label: 'redis RSS / connection (KiB)', digits: 2 }
  ],
  async run(context: ScenarioContext) {
    const { target, generator, options } = context
    const notes: string[] = []
    const total = options.connections
    const logins = await target.idleLogins(WARM_UP_CONNECTIONS + total, 'bench-idle')
    const all: ClientSpec[] = logins.map((login, index) => ({
      url: target.mqttUrls[index % target.mqttUrls.length]!,
      clientId: login.clientId,
      username: login.username,
      password: login.password,
      role: 'idle'
    }))
    const warmUp = all.slice(0, WARM_UP_CONNECTIONS)
    const specs = all.slice(WARM_UP_CONNECTIONS)
    const half = Math.floor(total / 2)

    const warm = await generator.connect(warmUp, KEEPALIVE_SECONDS)
    if (warm.failed > 0) throw new Error(`${warm.failed} of ${warmUp.length} warm-up connections failed: ${warm.firstError}`)
    await generator.all({ op: 'close' })
    await settle(allTargetPids(target))
    await sleep(QUIET_MS)
    const rssBefore = totalRssBytes(target.pids)
    const redisRssBefore = totalRssBytes(target.redisPids)
    const cpu = startCpuMeter(target, generator.pids)
    let connectUs = 0
    const connectBatch = async (batch: ClientSpec[]) => {
      const startUs = nowUs()
      const result = await generator.connect(batch, KEEPALIVE_SECONDS, 300_000)
      connectUs += nowUs() - startUs
      if (result.failed > 0) notes.push(`${result.failed} of ${batch.length} connections failed: ${result.firstError}`)
      await settle(allTargetPids(target))
      await sleep(QUIET_MS)
      return result.connected
    }

    context.log(`${target.name}: S3 ${total} idle connections (keepalive ${KEEPALIVE_SECONDS})`)
    const first = await connectBatch(specs.slice(0, half))
    const rssHalf = totalRssBytes(target.pids)
    const second = await connectBatch(specs.slice(half))
    const rssAfter = totalRssBytes(target.pids)
    const redisRssAfter = totalRssBytes(target.redisPids)
    const used = cpu.stop()
    const connected = first + second
    await generator.all({ op: 'close' }, 120_000)

    return {
      metrics: {
        connections: connected,
        rssPerConnectionKiB: per((rssAfter - rssBefore) / 1024, connected),
        rssPerConnectionSecondHalfKiB: per((rssAfter - rssHalf) / 1024, second),
        connectsPerSecond: per(connected, connectUs / 1e6),
        brokerCpuMsPerConnect: per(used.broker * 1000, connected),
        brokerRssMiB: rssAfter / 1024 / 1024,
        redisRssPerConnectionKiB: target.redisPids.length > 0 ? per((redisRssAfter - redisRssBefore) / 1024, connected) : null
      },
      notes
    }
  }
}
