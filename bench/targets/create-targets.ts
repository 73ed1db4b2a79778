import type { TargetName } from '../options.js'
import { mosquittoTarget } from './mosquitto.js'
import { mqchatClusterTarget } from './mqchat-cluster.js'
import { mqchatDevTarget } from './mqchat-dev.js'
import type { BenchTarget } from './target.js'

/** The bench target for a name. */
export function createTarget(name: TargetName): BenchTarget {
  switch (name) {
    case 'mqchat':
      return mqchatDevTarget()
    case 'cluster':
      return mqchatClusterTarget()
    case 'mosquitto':
      return mosquittoTarget()
    default:
      throw new Error(`unknown bench target ${String(name satisfies never)}`)
  }
}
