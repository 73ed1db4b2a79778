import { Command } from 'commander'
import type { MqttClient } from 'mqtt'
import { decodeEnvelope } from '../../../core/envelope.js'
import { topics } from '../../../core/topics.js'
import { clientAction, nonNegativeInt, optionsOf, withCommonOptions } from '../action.js'
import { createCatchUp } from '../catch-up.js'
import { CliError } from '../errors.js'
import { formatMessage } from '../format.js'
import { pagesAfter } from '../history-pages.js'
import { type CliContext, type CommonOptions, mqttUrlFor, openSession, printJson } from '../session.js'

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

async function tail(ctx: CliContext, roomId: string, options: TailOptions): Promise<void> {
  const session = await openSession(ctx, options)
  // an unknown room, a room you are not in or an unreachable server: one clear line before any MQTT
  await session.api.getRoom(roomId)
  const mqttUrl = options.mqttUrl ?? mqttUrlFor(session.url)
  const status = (line: string) => {
    if (!options.json) ctx.stderr.write(`${line}\n`)
  }

  let stop!: () => void
  let fail!: (error: unknown) => void
  const finished = new Promise<void>((resolve, reject) => {
    stop = resolve
    fail = reject
  })
  finished.catch(() => {}) // observed below; this only keeps an early failure from counting as unhandled

  const cursor = createCatchUp({
    after: options.after,
    pagesAfter: (after) => pagesAfter(session.api, roomId, { after }),
    print: (message) => (options.json ? printJson(ctx, message) : ctx.stdout.write(`${formatMessage(message)}\n`)),
    onError: fail
  })

  const { connectAsync } = await import('mqtt')
  let client: MqttClient
  try {
    const connectOptions = {
      username: session.username ?? 'mqchat-cli',
      password: session.token,
      reconnectPeriod: 1000,
      connectTimeout: 10_000
    }
    client = await connectAsync(mqttUrl, connectOptions, false)
  } catch (error) {
    throw new CliError(`cannot connect to ${mqttUrl}: ${(error as Error).message}`)
  }

  const topic = topics.roomMessages(roomId)
  client.on('message', (received, payload) => {
    const message = received === topic ? decodeEnvelope(payload) : null
    if (message) void cursor.live(message)
  })
  client.on('offline', () => status('connection lost; reconnecting'))
  // socket errors (string codes) are retried by mqtt.js; a refused CONNACK (numeric return code, e.g. a token
  // that expired meanwhile) stops its reconnecting, so it ends the tail
  client.on('error', (error: Error & { code?: unknown }) => {
    if (typeof error.code === 'number') fail(new CliError(`${mqttUrl}: ${error.message}`))
  })
  // every later CONNACK is a reconnect: fetch what was sent meanwhile (mqtt.js resubscribes by itself)
  client.on('connect', () => {
    status('reconnected')
    void cursor.resync()
  })
  const onSignal = () => stop()
  const onOutputError = (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? stop() : fail(error))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  ctx.stdout.on('error', onOutputError)
  try {
    try {
      await client.subscribeAsync(topic, { qos: 1 })
    } catch (error) {
      throw new CliError(`cannot subscribe to ${topic}: ${(error as Error).message}`)
    }
    // subscribed first, then history: anything sent in between arrives live and is skipped by seq if already printed
    await cursor.resync()
    if (!cursor.failed()) status(`following ${roomId} live (Ctrl-C to stop)`)
    await finished
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    ctx.stdout.off('error', onOutputError)
    await client.endAsync(true)
  }
}
