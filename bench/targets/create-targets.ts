import type { BenchOptions, TargetName } from '../options.js'
import { mosquittoTarget } from './mosquitto.js'
import { mqchatClusterTarget } from './mqchat-cluster.js'
import { mqchatDevTarget } from './mqchat-dev.js'
import type { BenchTarget } from './target.js'

/** The bench target for a name. */
export function createTarget(name: TargetName, options: Pick<BenchOptions, 'streamLength' | 'idempotencyWindow'>): BenchTarget {
  const env = {
    ...(options.streamLength ? { MQCHAT_ROOM_STREAM_LENGTH: String(options.streamLength) } : {}),
    ...(options.idempotencyWindow ? { MQCHAT_IDEMPOTENCY_WINDOW: String(options.idempotencyWindow) } : {})
  }
  switch (name) {
    case 'mqchat':
      return mqchatDevTarget()
    case 'cluster':
      return mqchatClusterTarget({ name: 'cluster', nodes: 2, redisCluster: false, env })
    case 'cluster-rc':
      return mqchatClusterTarget({ name: 'cluster-rc', nodes: 3, redisCluster: true, env })
    case 'mosquitto':
      return mosquittoTarget()
    default:
      throw new Error(`unknown bench target ${String(name satisfies never)}`)
  }
}
