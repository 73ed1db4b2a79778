import { z } from 'zod'
import { ConfigError } from './errors.js'

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback)
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes')

/** Every setting mqchat reads, with its default and meaning. Parsed once at start. */
export const configSchema = z.object({
  MQCHAT_HOST: z.string().min(1).default('0.0.0.0').describe('Address the MQTT and HTTP listeners bind to'),
  MQCHAT_MQTT_PORT: port(1883).describe('MQTT over TCP port (0 picks a free port)'),
  MQCHAT_HTTP_PORT: port(8080).describe('HTTP port: REST API, /mqtt WebSocket, health (0 picks a free port)'),
  MQCHAT_DATA_DIR: z.string().min(1).default('./data').describe('Embedded mode: where logs, history, accounts and sessions live'),
  MQCHAT_JWT_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe('HS256 secret for user tokens; embedded mode generates one in the data dir if unset'),
  MQCHAT_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(86_400).describe('Lifetime of issued user tokens'),
  MQCHAT_JWT_PREVIOUS_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe('Key rotation: tokens signed with this former HS256 secret stay valid until they expire'),
  MQCHAT_JWT_JWKS_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('Also accept RS256/ES256 user tokens of an external issuer whose keys this JWKS URL publishes'),
  MQCHAT_JWT_ISSUER: z.string().min(1).default('mqchat').describe('`iss` of issued tokens; accepted tokens must carry it'),
  MQCHAT_JWT_AUDIENCE: z.string().min(1).default('mqchat').describe('`aud` of issued tokens; accepted tokens must carry it'),
  MQCHAT_METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('When set, GET /metrics requires `Authorization: Bearer <this token>`'),
  MQCHAT_MAX_MESSAGE_BYTES: z.coerce.number().int().min(256).max(1_048_576).default(16_384).describe('Largest chat payload accepted'),
  MQCHAT_GENERIC_TOPICS: flag(false).describe('Also act as a plain MQTT 3.1.1 broker for topics outside rooms/, users/, presence/'),
  MQCHAT_ALLOW_ANONYMOUS: flag(false).describe('With generic topics: accept connections without a token (generic topics only)'),
  MQCHAT_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(50).describe('Chat sends per user per second (0 disables)'),
  MQCHAT_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(200).describe('Chat sends a user may burst above the rate'),
  MQCHAT_RATE_LIMIT_SIGNALS: z.coerce
    .number()
    .int()
    .min(0)
    .default(200)
    .describe('Typing and receipt publishes per user per 10 s (0 disables)'),
  MQCHAT_RATE_LIMIT_NOTICES: z.coerce
    .number()
    .int()
    .min(0)
    .default(30)
    .describe('Rejection notices per user per 10 s; past it one rate_limited notice, then silence (0 disables)'),
  MQCHAT_RATE_LIMIT_INVITES: z.coerce
    .number()
    .int()
    .min(0)
    .default(200)
    .describe('Members a user adds to rooms per minute, room creation included (0 disables)'),
  MQCHAT_RATE_LIMIT_ROOMS: z.coerce.number().int().min(0).default(30).describe('Rooms a user creates per minute (0 disables)'),
  MQCHAT_LOGIN_LIMIT_PER_ACCOUNT: z.coerce
    .number()
    .int()
    .min(0)
    .default(10)
    .describe('Login attempts per username per 5 minutes; a successful login resets it (0 disables)'),
  MQCHAT_LOGIN_LIMIT_PER_ADDRESS: z.coerce
    .number()
    .int()
    .min(0)
    .default(100)
    .describe('Login attempts per client address per 5 minutes (0 disables)'),
  MQCHAT_REGISTER_LIMIT_PER_ADDRESS: z.coerce
    .number()
    .int()
    .min(0)
    .default(100)
    .describe('Registrations per client address per hour (0 disables)'),
  MQCHAT_REGISTRATION: z
    .enum(['open', 'closed'])
    .default('open')
    .describe('open: anyone may register; closed: POST /v1/auth/register answers 403 and admins or service keys create users'),
  MQCHAT_PASSWORD_QUEUE: z.coerce
    .number()
    .int()
    .min(1)
    .default(64)
    .describe('Password hashes waiting for the one hashing thread; past it logins and registrations answer 503'),
  MQCHAT_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(32).describe('Simultaneous MQTT connections per user'),
  MQCHAT_MAX_FILTERS_PER_SUBSCRIBE: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(32)
    .describe('Topic filters one SUBSCRIBE may carry; a larger SUBSCRIBE closes the connection'),
  MQCHAT_MAX_SUBSCRIPTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(256)
    .describe('Topic filters one MQTT session may hold; past it SUBACK 0x80'),
  MQCHAT_CLIENT_ID_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(30 * 86_400)
    .describe('A client id belongs to its first user until unused this long; then another user may take it'),
  MQCHAT_MAX_PACKET_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(268_435_455)
    .optional()
    .describe(
      'Largest MQTT packet on any listener; a bigger one closes the socket as its header arrives (default: largest chat message + 8 KiB)'
    ),
  MQCHAT_CONNECT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('A socket that has not sent CONNECT (or finished its TLS handshake or HTTP request headers) this long is closed'),
  MQCHAT_MAX_CONNECTIONS: z.coerce
    .number()
    .int()
    .min(0)
    .default(20_000)
    .describe('Open sockets on this node over all listeners (0: no cap)'),
  MQCHAT_MAX_CONNECTIONS_PER_IP: z.coerce
    .number()
    .int()
    .min(0)
    .default(1000)
    .describe('Open sockets per client address on this node over all listeners (0: no cap; raise it behind a proxy)'),
  MQCHAT_TLS_CERT: z
    .string()
    .min(1)
    .optional()
    .describe('PEM certificate chain file: enables MQTT over TLS and HTTPS/WSS (with MQCHAT_TLS_KEY); reloaded on SIGHUP'),
  MQCHAT_TLS_KEY: z.string().min(1).optional().describe('PEM private key file of MQCHAT_TLS_CERT'),
  MQCHAT_MQTTS_PORT: port(8883).describe(
    'MQTT over TLS port, listening only when MQCHAT_TLS_CERT and MQCHAT_TLS_KEY are set (0 picks a free port)'
  ),
  MQCHAT_OFFLINE_REPLAY_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .default(5000)
    .describe('Most chat messages per room replayed to a returning persistent session; past it an overflow notice'),
  MQCHAT_FSYNC: flag(false).describe('fsync the chat log before acknowledging (survives power loss, not only process crashes)'),
  REDIS_URL: z.string().min(1).optional().describe('Cluster mode: Redis for the chat log, sessions, fan-out, presence and rate limits'),
  MONGODB_URL: z.string().min(1).optional().describe('Cluster mode: MongoDB for history, users and rooms'),
  MQCHAT_REDIS_PREFIX: z.string().min(1).default('mqchat:').describe('Cluster mode: prefix of every mqchat key in Redis'),
  MQCHAT_REDIS_CLUSTER: flag(false).describe(
    'Cluster mode: REDIS_URL names one seed node of a Redis Cluster (the others are discovered); every Redis client is a cluster client'
  ),
  MQCHAT_REDIS_WAIT_REPLICAS: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Cluster mode: a chat send is acknowledged only once this many Redis replicas have it (WAIT); 0 acknowledges on the master'),
  MQCHAT_REDIS_WAIT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(1000)
    .describe(
      'Cluster mode: with MQCHAT_REDIS_WAIT_REPLICAS, a send the replicas do not confirm within this time is refused as unavailable'
    ),
  MQCHAT_LOG_PARTITIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(16)
    .describe('Cluster mode: partitions of the chat log (each on its own Redis Cluster slot); fixed for the life of a deployment'),
  MQCHAT_ROOM_STREAM_LENGTH: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('Cluster mode: messages kept per room in Redis for catch-up reads (older ones are read from MongoDB)'),
  MQCHAT_IDEMPOTENCY_WINDOW: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe(
      'Cluster mode: a resent message id is recognized while it is among the last N to 2N messages of its room (N is this value); later repeats are stopped by the history index'
    ),
  MQCHAT_SESSION_EXPIRY: z.coerce
    .number()
    .int()
    .min(60)
    .default(7 * 86_400)
    .describe(
      'Seconds a persistent session (clean=false) is kept while its device stays away; then its subscriptions and cursors are removed'
    ),
  MQCHAT_MONGODB_DATABASE: z.string().min(1).default('mqchat').describe('Cluster mode: MongoDB database name'),
  MQCHAT_NODE_ID: z
    .string()
    .min(1)
    .optional()
    .describe('Cluster mode: this process in logs and as its persister consumer name (default host-pid)'),
  MQCHAT_PERSISTER_CLAIM_IDLE_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(30_000)
    .describe('Cluster mode: chat log entries a dead bridge left unpersisted this long are taken over by another'),
  MQCHAT_NODE_TTL_MS: z.coerce
    .number()
    .int()
    .min(300)
    .default(15_000)
    .describe('Cluster mode: a node silent this long is dead; its users go offline unless connected elsewhere'),
  MQCHAT_BROKER_HEARTBEAT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(60_000)
    .describe('How often a node announces itself (Aedes heartbeat); 3 missed: the node is dead, its clients’ wills are published'),
  MQCHAT_PUSH_URL: z
    .string()
    .url()
    .optional()
    .describe('Offline push: the webhook that gets a signed POST per message for members with no live connection (bridges and dev)'),
  MQCHAT_PUSH_SECRET: z
    .string()
    .min(16)
    .optional()
    .describe('Offline push: HMAC-SHA256 key of the X-Mqchat-Signature header (required with MQCHAT_PUSH_URL, 16+ characters)'),
  MQCHAT_PUSH_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000).describe('Offline push: limit of one POST'),
  MQCHAT_PUSH_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .default(10)
    .describe('Offline push: POSTs of one message (5xx, 408, 429, timeouts are retried) before it is given up and counted'),
  MQCHAT_PUSH_RETRY_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(1000)
    .describe('Offline push: wait before the first retry; doubles per attempt, at most 60 s'),
  MQCHAT_PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8).describe('Offline push: messages pushed at once per bridge'),
  MQCHAT_PUSH_MAX_LAG_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(3_600_000)
    .describe(
      'Cluster mode: the chat log is kept in Redis for the push group (and any group but the persisters) this long at most; pushes further behind are dropped and counted, so push turned off or a stopped bridge never holds Redis memory'
    ),
  MQCHAT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level')
})

export type Config = z.output<typeof configSchema>

/** Cluster processes need Redis, MongoDB and a shared token secret. */
export function requireClusterConfig(config: Config): Required<Pick<Config, 'REDIS_URL' | 'MONGODB_URL' | 'MQCHAT_JWT_SECRET'>> {
  const missing = (['REDIS_URL', 'MONGODB_URL', 'MQCHAT_JWT_SECRET'] as const).filter((name) => !config[name])
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name}: required in cluster mode`))
  return config as Required<Config>
}

/** Validates the environment; throws a ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const known = Object.fromEntries(Object.keys(configSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]))
  const result = configSchema.safeParse(known)
  if (result.success) return result.data
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`))
}
