import { z } from 'zod'

export const SCENARIO_IDS = ['S1', 'S1p', 'S1-offline', 'S2', 'S3', 'storm', 'S4', 'S4m', 'H'] as const
export type ScenarioId = (typeof SCENARIO_IDS)[number]

/**
 * mqchat: embedded (`mqchat dev`); cluster: 2 `mqchat broker` + a bridge on one Redis and MongoDB;
 * cluster-rc: 3 `mqchat broker` + a bridge on a Redis Cluster (3 masters + 3 replicas); mosquitto: the reference.
 */
export const TARGET_NAMES = ['mqchat', 'cluster', 'cluster-rc', 'mosquitto'] as const
export type TargetName = (typeof TARGET_NAMES)[number]

/** These machines cap open files at 20,000 per process; the broker needs a few for itself. */
export const MAX_CONNECTIONS = 18_000

const list = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()))
    .pipe(z.array(z.enum(values)).min(1))

const positiveInt = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback)

/** Every `mqchat bench` option, with its default and meaning (SPEC §9). */
export const benchOptionsSchema = z.object({
  scenarios: list([...SCENARIO_IDS] as [ScenarioId, ...ScenarioId[]])
    .default(['S1', 'S1p', 'S3'])
    .describe('Scenarios to run, comma-separated'),
  targets: list([...TARGET_NAMES] as [TargetName, ...TargetName[]])
    .default(['mqchat', 'mosquitto'])
    .describe('Brokers to run them against; the last is the reference, every other one is measured against it'),
  messages: positiveInt(300, 100_000).describe('S1: messages each publisher sends'),
  duration: z.coerce.number().min(1).max(600).default(5).describe('S1p: measured seconds at the fixed rate'),
  connections: positiveInt(2_000, MAX_CONNECTIONS).describe('S3: idle connections'),
  subscribers: positiveInt(100, 5_000).describe('S1/S1p: subscribers in the room'),
  publishers: positiveInt(10, 1_000).describe('S1/S1p: publishers in the room'),
  rate: positiveInt(20_000, 1_000_000).describe('S1p: total deliveries per second to hold'),
  payloadBytes: positiveInt(200, 16_000).describe('S1/S1p: size of each published payload'),
  rooms: positiveInt(500, 5_000).describe('S2/S4: rooms of 2 members (one publisher, one subscriber each)'),
  roomMessages: positiveInt(100, 100_000).describe('S2/S4: messages each room publisher sends'),
  offlineEvery: z.coerce
    .number()
    .int()
    .min(2)
    .max(100)
    .default(3)
    .describe('S1-offline: every n-th subscriber goes offline and comes back'),
  devices: positiveInt(2_000, MAX_CONNECTIONS).describe('storm: idle devices dropped at once and reconnecting'),
  memoryMessages: positiveInt(1_000_000, 10_000_000).describe('S4m: messages appended in total'),
  memoryRooms: positiveInt(10_000, 100_000).describe('S4m: rooms they are spread over'),
  streamLength: z.coerce
    .number()
    .int()
    .min(100)
    .optional()
    .describe("S4m: the cluster targets' MQCHAT_ROOM_STREAM_LENGTH (their default when absent)"),
  idempotencyWindow: z.coerce
    .number()
    .int()
    .min(100)
    .optional()
    .describe("S4m: the cluster targets' MQCHAT_IDEMPOTENCY_WINDOW (their default when absent)"),
  historyMessages: positiveInt(20_000, 1_000_000).describe('H: messages in the large room whose history is paged'),
  historyRooms: positiveInt(500, 2_000).describe('H: rooms the user of `GET /v1/rooms` is a member of'),
  historySamples: positiveInt(200, 100_000).describe('H: requests timed per query (the REST and the raw one each)'),
  workers: positiveInt(2, 16).describe('Load generator processes'),
  json: z.boolean().default(false).describe('Print the results as JSON')
})

export type BenchOptions = z.output<typeof benchOptionsSchema>

/** The defaults, for the CLI's help text. */
export const BENCH_DEFAULTS: BenchOptions = benchOptionsSchema.parse({})

/** Thrown for options a user can fix; the CLI prints its message on one line. */
export class BenchOptionsError extends Error {
  override name = 'BenchOptionsError'
}

/** Parses the CLI's raw option values; throws a BenchOptionsError naming every bad option. */
export function parseBenchOptions(raw: Record<string, unknown>): BenchOptions {
  const result = benchOptionsSchema.safeParse(raw)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => `--${String(issue.path[0] ?? '?')}: ${issue.message}`)
  throw new BenchOptionsError(`invalid options: ${problems.join('; ')}`)
}
