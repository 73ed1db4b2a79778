/**
 * A load generator process, forked by load-generator.ts: it holds MQTT clients and runs what the
 * orchestrator asks over IPC, so that the clients' CPU is measured apart from the orchestrator's.
 */

import { createLoad } from './generator-load.js'
import type { GeneratorMessage, GeneratorReply } from './generator-protocol.js'

const load = createLoad()

async function handle({ request }: GeneratorMessage): Promise<unknown> {
  switch (request.op) {
    case 'connect':
      return load.connect(request.clients, request.keepalive, request.concurrency, request.attempts)
    case 'publish':
      return load.publish(request)
    case 'reset':
      load.reset(request.recordFromUs)
      return null
    case 'stats':
      return load.stats()
    case 'close':
      await load.close()
      return null
    case 'offline':
      return load.offline()
    case 'online':
      return load.online(request.keepalive, request.concurrency)
    case 'storm':
      return load.storm(request.keepalive, request.concurrency, request.attempts)
    case 'order':
      return load.order()
    default:
      throw new Error(`unknown generator request ${JSON.stringify(request satisfies never)}`)
  }
}

process.on('message', (message: GeneratorMessage) => {
  handle(message).then(
    (result) => process.send?.({ seq: message.seq, ok: true, result } satisfies GeneratorReply),
    (error: unknown) =>
      process.send?.({
        seq: message.seq,
        ok: false,
        error: error instanceof Error ? error.message : String(error)
      } satisfies GeneratorReply)
  )
})
// the orchestrator stops us (also on Ctrl-C, which reaches the whole process group); without it we have no purpose
process.on('SIGINT', () => undefined)
process.on('disconnect', () => process.exit(0))
