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
async function serve(
  start: (config: Config, logger: Logger) => Promise<{ close(): Promise<void>; reloadTls(): Promise<boolean> }>
): Promise<void> {
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
  // SIGHUP re-reads the TLS certificate for new connections; open ones keep theirs (and without TLS it no longer ends the process)
  process.on('SIGHUP', () => {
    node.reloadTls().then(
      (reloaded) =>
        logger.info({ signal: 'SIGHUP', reloaded }, reloaded ? 'TLS certificate reloaded' : 'SIGHUP: no TLS certificate to reload'),
      (error: unknown) => logger.error({ err: error }, 'TLS certificate reload failed; keeping the previous one')
    )
  })
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
  program
    .command('admin')
    .description('administer users directly in the storage (cluster: REDIS_URL, MONGODB_URL; else MQCHAT_DATA_DIR)')
    .command('create <username>')
    .description('make a user an admin of the admin API, creating the account with a generated password if needed')
    .action((username: string) => runAdminCreate(username))
}

/** Prints the generated password once; one clear line on a storage problem, as for servers. */
async function runAdminCreate(username: string): Promise<void> {
  let config: Config
  try {
    config = parseConfig(process.env)
  } catch (error) {
    fail(error)
  }
  const logger = createLogger(config.MQCHAT_LOG_LEVEL)
  const { createAdmin } = await import('./admin-command.js')
  const result = await createAdmin(config, logger, username).catch((error: unknown) => fail(error, config.MQCHAT_DATA_DIR))
  process.stdout.write(
    result.created ? `created admin ${result.userId}; password (shown once): ${result.password}\n` : `${result.userId} is now an admin\n`
  )
}
