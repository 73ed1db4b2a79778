import { Command } from 'commander'
import { type Chat, ChatError, connect } from '../../sdk/index.js'
import { clientAction, nonNegativeInt, optionsOf, withCommonOptions } from '../action.js'
import { CliError } from '../errors.js'
import { formatMessage } from '../format.js'
import { type CliContext, type CommonOptions, openSession, printJson } from '../session.js'

interface TailOptions extends CommonOptions {
  after?: number
  mqttUrl?: string
}

/** `mqchat tail <roomId>`: what was missed since `--after`, then live messages until SIGINT/SIGTERM. */
export function tailCommand(ctx: CliContext): Command {
  return withCommonOptions(new Command('tail'))
    .description('follow a room live over MQTT until Ctrl-C; with --after N, first print what was missed since seq N')
    .argument('<roomId>', 'the room')
    .option('--after <seq>', 'first print the messages after this seq (exact catch-up, no duplicates)', nonNegativeInt)
    .option('--mqtt-url <url>', 'MQTT URL (default: <url>/mqtt over WebSocket; mqtt://host:1883 works too)')
    .action(
      clientAction(ctx, async (roomId: string, _options: TailOptions, command: Command) => {
        await tail(ctx, roomId, optionsOf<TailOptions>(command))
      })
    )
}

/** The SDK keeps the one cursor: each seq printed once, in order, gaps and reconnects filled from history. */
async function tail(ctx: CliContext, roomId: string, options: TailOptions): Promise<void> {
  const session = await openSession(ctx, options)
  // an unknown room, a room you are not in or an unreachable server: one clear line before any MQTT
  await session.api.getRoom(roomId)
  const status = (line: string) => {
    if (!options.json) ctx.stderr.write(`${line}\n`)
  }

  let stop!: () => void
  let fail!: (error: unknown) => void
  const finished = new Promise<void>((resolve, reject) => {
    stop = resolve
    fail = reject
  })
  // observed below; this only keeps an early failure from counting as unhandled before it is awaited
  finished.catch(() => undefined)

  let chat: Chat
  try {
    chat = await connect({ url: session.url, token: session.token, ...(options.mqttUrl ? { mqttUrl: options.mqttUrl } : {}) })
  } catch (error) {
    throw error instanceof ChatError ? new CliError(error.message) : error
  }
  chat.on('message', (message) => (options.json ? printJson(ctx, message) : ctx.stdout.write(`${formatMessage(message)}\n`)))
  chat.on('status', (state) =>
    status(state === 'online' ? 'reconnected' : state === 'reconnecting' ? 'connection lost; reconnecting' : 'closed')
  )
  // a refused CONNACK (e.g. a token that expired meanwhile) ends the tail; a failed history fill is retried by the SDK
  chat.on('error', (error) => {
    if (error instanceof ChatError && error.code === 'unauthenticated') fail(new CliError(error.message))
    else status(`warning: ${error.message}`)
  })
  const onSignal = () => stop()
  const onOutputError = (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? stop() : fail(error))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  ctx.stdout.on('error', onOutputError)
  try {
    await chat.join(roomId, options.after === undefined ? {} : { after: options.after })
    status(`following ${roomId} live (Ctrl-C to stop)`)
    await finished
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    ctx.stdout.off('error', onOutputError)
    await chat.close()
  }
}
