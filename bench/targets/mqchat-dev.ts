import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mqchatAccounts, newJwtSecret } from './mqchat-accounts.js'
import { startMqchatProcess } from './mqchat-process.js'
import type { BenchTarget } from './target.js'

/**
 * `mqchat dev` (embedded mode) in a child process: fresh data directory, free loopback ports, rate
 * limits off, and a token secret of our own so that idle-connection logins can be signed here.
 */
export function mqchatDevTarget(): BenchTarget {
  return {
    name: 'mqchat',
    unavailable: async () => null,
    async start(janitor) {
      const dataDir = await mkdtemp(join(tmpdir(), 'mqchat-bench-'))
      janitor.defer(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }))
      const secret = newJwtSecret()
      const node = await startMqchatProcess('dev', { MQCHAT_DATA_DIR: dataDir, MQCHAT_JWT_SECRET: secret }, janitor)
      return {
        name: 'mqchat',
        mqttUrls: [`mqtt://127.0.0.1:${node.mqttPort}`],
        pids: [node.pid],
        // the persister runs inside the dev process: its CPU is part of the broker's here
        redisPids: [],
        persisterPids: [],
        httpUrl: `http://127.0.0.1:${node.httpPort}`,
        ...mqchatAccounts(`http://127.0.0.1:${node.httpPort}`, secret),
        stop: node.stop
      }
    }
  }
}
