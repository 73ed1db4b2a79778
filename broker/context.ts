import type { Aedes, Client } from 'aedes'
import type { Logger } from '../core/logger.js'
import type { TokenService } from '../core/tokens.js'
import type { AccountsStore } from '../storage/accounts/accounts-store.js'
import type { ClientOwners } from '../storage/client-owners/client-owners.js'
import type { ReadTracker } from '../storage/read-pointers/read-tracker.js'
import type { CleanSessions } from './aedes/clean-sessions.js'
import type { OrderedPublish } from './aedes/ordered-publish.js'
import type { ChatPipeline } from './chat-pipeline.js'
import type { UserDirectory } from './directory.js'
import type { BrokerMetrics } from './metrics.js'
import type { PresenceTracker } from './presence.js'
import type { RateLimiter } from './rate-limiters/rate-limiter.js'
import type { LiveTokens } from './revocations.js'
import type { SessionReplay } from './session-replay.js'

/** Who is behind an MQTT connection; `userId` is null for anonymous generic-topic clients. */
export interface Identity {
  userId: string | null
}

export interface BrokerOptions {
  genericTopics: boolean
  allowAnonymous: boolean
  maxConnectionsPerUser: number
  /** Filters one SUBSCRIBE may carry; a larger one closes the connection. */
  maxFiltersPerSubscribe: number
  /** Filters one session may hold; past it SUBACK 0x80. */
  maxSubscriptions: number
}

/** What the hooks share: injected once by createBroker. */
export interface BrokerContext {
  aedes: Aedes
  identities: WeakMap<Client, Identity>
  directory: UserDirectory
  pipeline: ChatPipeline
  tokens: TokenService
  /** The token behind each connection: closes it at expiry or revocation. */
  liveTokens: LiveTokens
  accounts: AccountsStore
  /** Which user each client id belongs to (client-id takeover is refused). */
  clientOwners: ClientOwners
  /** Connections whose client id has nothing stored: Aedes's session wipes are skipped for them. */
  cleanSessions: CleanSessions
  /** Read pointers: a `read` receipt moves the sender's. */
  readTracker: ReadTracker
  metrics: BrokerMetrics
  /** Budgets of typing/receipt signals and rejection notices (the chat budget is the pipeline's). */
  rateLimiter: RateLimiter
  logger: Logger
  options: BrokerOptions
  /** Publishes a QoS 1 notice to `users/{userId}/inbox`. */
  notify(userId: string, notice: Record<string, unknown>): void
  presence: PresenceTracker
  replay: SessionReplay
  /** Generic-topic publishes of a client, stored and forwarded in its order before each PUBACK. */
  orderedPublish: OrderedPublish
}

/** Where a publish goes that is acknowledged but must reach no one (rejected or duplicate sends). */
export const DISCARD_TOPIC = '$mqchat/discarded'
