import { type Config, parseConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { type DevNode, startDevNode } from '../../server/dev.js'
import { makeTempDir } from './temp-dir.js'

export interface TestNode extends DevNode {
  dataDir: string
  mqttUrl: string
  wsUrl: string
  httpUrl: string
  /** Stops the node and deletes its data directory. */
  destroy(): Promise<void>
}

/** A real dev node on free loopback ports with its own data directory. */
export async function startTestNode(env: Record<string, string> = {}, dataDir?: string): Promise<TestNode> {
  const dir = dataDir ? { path: dataDir, remove: async () => {} } : await makeTempDir()
  const config: Config = parseConfig({
    MQCHAT_HOST: '127.0.0.1',
    MQCHAT_MQTT_PORT: '0',
    MQCHAT_HTTP_PORT: '0',
    MQCHAT_DATA_DIR: dir.path,
    MQCHAT_LOG_LEVEL: 'silent',
    ...env
  })
  const node = await startDevNode(config, createLogger(config.MQCHAT_LOG_LEVEL))
  return {
    ...node,
    dataDir: dir.path,
    mqttUrl: `mqtt://127.0.0.1:${node.mqttPort}`,
    wsUrl: `ws://127.0.0.1:${node.httpPort}/mqtt`,
    httpUrl: `http://127.0.0.1:${node.httpPort}`,
    async destroy() {
      await node.close()
      await dir.remove()
    }
  }
}
