import type { Command } from 'commander'
import { type Config, parseConfig } from '../core/config.js'
import { AddressInUse, ConfigError, ServiceFailed, ServiceUnreachable } from '../core/errors.js'
import { createLogger, type Logger } from '../core/logger.js'

/** Start-up failures a user can fix get one line and a non-zero exit, not a stack trace. */
function explain(error: unknown, dataDir?: string): string | null {
  if (error instanceof ConfigError || error instanceof AddressInUse) return error.message
  if (error instanceof ServiceUnreachable || error instanceof ServiceFailed) return error.message
  const code = (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code
  if (code === 'LEVEL_LOCKED') return `data directory ${dataDir} is in use by another mqchat process`
  if (code === 'EACCES' || code === 'EROFS') return `data directory ${dataDir} is not writable`
  return null
}

function fail(error: unknown, dataDir?: string): never {
  const line = explain(error, dataDir)
  if (!line) throw error
  process.stderr.write(`mqchat: ${line}\n`)
  process.exit(1)
}

/** Parses the environment, starts a server and stops it gracefully on SIGINT/SIGTERM. */
async function serve(start: (config: Config, logger: Logger) => Promise<{ close(): Promise<void> }>): Promise<void> {
  let config: Config
  try {
    config = parseConfig(process.env)
  } catch (error) {
    fail(error)
  }
  const logger = createLogger(config.MQCHAT_LOG_LEVEL)
  // a library's stray promise (e.g. a Redis command cut off by a reconnect) must not end a server
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'))
  const node = await start(config, logger).catch((error: unknown) => fail(error, config.MQCHAT_DATA_DIR))
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    node.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      }
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

/** `mqchat dev`, `mqchat broker`, `mqchat bridge`: server code is loaded only when one of them runs. */
export function registerServerCommands(program: Command): void {
  program
    .command('dev')
    .description('run broker, REST API, WebSocket and persister in one process on embedded storage')
    .action(() => serve(async (config, logger) => (await import('./dev.js')).startDevNode(config, logger)))
  program
    .command('broker')
    .description('run a cluster broker node: MQTT over TCP, sessions and fan-out on Redis (REDIS_URL, MONGODB_URL)')
    .action(() => serve(async (config, logger) => (await import('./cluster.js')).startClusterNode(config, logger, 'broker')))
  program
    .command('bridge')
    .description('run a cluster bridge: chat log -> MongoDB persister, REST API and /mqtt WebSocket (REDIS_URL, MONGODB_URL)')
    .action(() => serve(async (config, logger) => (await import('./cluster.js')).startClusterNode(config, logger, 'bridge')))
}
