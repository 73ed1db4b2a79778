import { Command } from 'commander'
import { parseConfig } from '../../core/config.js'
import { AddressInUse, ConfigError } from '../../core/errors.js'
import { createLogger } from '../../core/logger.js'

/** Start-up failures a user can fix get one line and a non-zero exit, not a stack trace. */
function explain(error: unknown, dataDir?: string): string | null {
  if (error instanceof ConfigError || error instanceof AddressInUse) return error.message
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

const program = new Command().name('mqchat').description('Chat broker and bridge on MQTT')

program
  .command('dev')
  .description('run broker, REST API, WebSocket and persister in one process on embedded storage')
  .action(async () => {
    let config: ReturnType<typeof parseConfig>
    try {
      config = parseConfig(process.env)
    } catch (error) {
      fail(error)
    }
    const logger = createLogger(config.MQCHAT_LOG_LEVEL)
    const { startDevNode } = await import('../../bridge/dev-node.js')
    const node = await startDevNode(config, logger).catch((error: unknown) => fail(error, config.MQCHAT_DATA_DIR))
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
  })

await program.parseAsync(process.argv)
