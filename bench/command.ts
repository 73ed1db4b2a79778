import type { Command } from 'commander'
import { BenchOptionsError, BENCH_DEFAULTS as defaults } from './options.js'

/** `mqchat bench` (SPEC §9); the benchmark code is loaded only when it runs. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark mqchat against a reference Mosquitto it starts itself (SPEC §9)')
    .option(
      '--scenarios <list>',
      'comma-separated: S1 (room fan-out), S1p (latency at a fixed rate), S1-offline (S1 with persistent sessions, ' +
        'some subscribers away and back), S2 (500 rooms x 2), S3 (idle connections), storm (idle devices dropped and ' +
        'reconnecting at once), S4 (3 nodes on a Redis Cluster, one serving no room; cluster-rc only), S4m (Redis memory ' +
        'per message; targets with Redis), H (history page and room list through REST beside the raw database query)',
      defaults.scenarios.join(',')
    )
    .option(
      '--targets <list>',
      'comma-separated: mqchat (embedded, `mqchat dev`), cluster (2 `mqchat broker` + 1 `mqchat bridge` on a private ' +
        'redis-server and FerretDB, or MONGODB_URL), cluster-rc (3 `mqchat broker` + 1 bridge on a private Redis Cluster ' +
        'of 3 masters + 3 replicas), mosquitto. The last is the reference: every other target gets a ' +
        'ratio column against it, e.g. mqchat,cluster,mosquitto. An unavailable target is skipped with a note',
      defaults.targets.join(',')
    )
    .option('--messages <n>', 'S1: messages per publisher', String(defaults.messages))
    .option('--duration <seconds>', 'S1p: measured seconds at the fixed rate', String(defaults.duration))
    .option('--rate <n>', 'S1p: total deliveries per second to hold', String(defaults.rate))
    .option(
      '--connections <n>',
      'S3: idle connections (at most 18000: open files are capped at 20,000 per process)',
      String(defaults.connections)
    )
    .option('--subscribers <n>', 'S1/S1p: subscribers in the room', String(defaults.subscribers))
    .option('--publishers <n>', 'S1/S1p: publishers in the room', String(defaults.publishers))
    .option('--payload-bytes <n>', 'S1/S1p: size of each published payload', String(defaults.payloadBytes))
    .option('--rooms <n>', 'S2/S4: rooms of 2 members', String(defaults.rooms))
    .option('--room-messages <n>', 'S2/S4: messages per room publisher', String(defaults.roomMessages))
    .option('--offline-every <n>', 'S1-offline: every n-th subscriber goes away and comes back', String(defaults.offlineEvery))
    .option('--devices <n>', 'storm: idle devices dropped at once and reconnecting', String(defaults.devices))
    .option('--memory-messages <n>', 'S4m: messages appended (SPEC: 1000000)', String(defaults.memoryMessages))
    .option('--memory-rooms <n>', 'S4m: rooms they are spread over (SPEC: 10000)', String(defaults.memoryRooms))
    .option('--stream-length <n>', "S4m: the cluster targets' MQCHAT_ROOM_STREAM_LENGTH (default: theirs)")
    .option('--idempotency-window <n>', "S4m: the cluster targets' MQCHAT_IDEMPOTENCY_WINDOW (default: theirs)")
    .option('--history-messages <n>', 'H: messages in the large room (SPEC: 1000000)', String(defaults.historyMessages))
    .option('--history-rooms <n>', 'H: rooms of the user whose room list is read', String(defaults.historyRooms))
    .option('--history-samples <n>', 'H: requests timed per query', String(defaults.historySamples))
    .option('--workers <n>', 'load generator processes', String(defaults.workers))
    .option('--json', 'print the results as JSON')
    .action(async (options: Record<string, unknown>) => {
      const { benchCommand } = await import('./main.js')
      try {
        await benchCommand({ ...options, json: options.json === true })
      } catch (error) {
        if (!(error instanceof BenchOptionsError)) throw error
        process.stderr.write(`mqchat: ${error.message}\n`)
        process.exitCode = 1
      }
    })
}
