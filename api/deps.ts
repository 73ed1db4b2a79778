import type { Registry } from 'prom-client'
import type { ConnectionCounter } from '../broker/connection-counters/connection-counter.js'
import type { RateLimiter } from '../broker/rate-limiters/rate-limiter.js'
import type { Logger } from '../core/logger.js'
import type { TokenService } from '../core/tokens.js'
import type { AccountsStore } from '../storage/accounts/accounts-store.js'
import type { AppendResult, ChatLog } from '../storage/chat-log/chat-log.js'
import type { CredentialsStore } from '../storage/credentials/credentials-store.js'
import type { HistoryStore } from '../storage/history/history-store.js'
import type { ReadTracker } from '../storage/read-pointers/read-tracker.js'
import type { RoomSettingsStore } from '../storage/room-settings/room-settings-store.js'

/** What the API asks of the broker: the same sequencer and fan-out as MQTT sends. */
export interface ChatGateway {
  /** Validates, sequences and fans out one message; throws a MqchatError on rejection. */
  send(userId: string, roomId: string, message: { json: unknown; bytes: number }, sender?: { anyRoom?: boolean }): Promise<AppendResult>
  membershipChanged(roomId: string, userId: string, isMember: boolean, by: string): Promise<void>
  /** Publishes a QoS 1 notice to `users/{userId}/inbox` (e.g. a moved read pointer). */
  notify(userId: string, notice: Record<string, unknown>): void
}

/** Tokens of a user that stop being valid: one (`jti`, logout) or all (password change, ban). */
export interface TokenRevocation {
  userId: string
  jti?: string
  reason: 'logout' | 'password_changed' | 'banned' | 'revoked'
}

/** An authenticated MQTT connection, as the admin API lists it. */
export interface ConnectionInfo {
  clientId: string
  userId: string
  transport: 'tcp' | 'websocket'
  address: string | null
  connectedAt: number
  tokenExpiresAt: number | null
  /** The node serving it (MQCHAT_NODE_ID; `dev` in embedded mode). */
  node: string
}

/** What the API asks of the broker about tokens and connections. */
export interface SessionGateway {
  /** Announces a revocation to every node: their open connections of those tokens close. */
  revoke(revocation: TokenRevocation): Promise<void>
  /** The user's live MQTT connections on every node. */
  connectionsOf(userId: string): Promise<ConnectionInfo[]>
}

export interface ApiDeps {
  accounts: AccountsStore
  history: HistoryStore
  chatLog: ChatLog
  /** Per (user, room) settings: muted rooms get no offline push. */
  roomSettings: RoomSettingsStore
  /** Read pointers, unread counts, mentions and receipts. */
  readTracker: ReadTracker
  /** Who has a live connection on any node: a room's online members. */
  connections: Pick<ConnectionCounter, 'online'>
  tokens: TokenService
  chat: ChatGateway
  /** Token revocations, bans, admins and service API keys. */
  credentials: CredentialsStore
  sessions: SessionGateway
  /** Budgets of logins, registrations, room creations and invitations (docs/protocol.md, Rate limits). */
  rateLimiter: RateLimiter
  registry: Registry
  logger: Logger
  /** False while starting or shutting down: /readyz answers 503. */
  isReady(): boolean
}

export interface ApiOptions {
  maxMessageBytes: number
  /** When set, GET /metrics requires it as a Bearer token. */
  metricsToken?: string
  /** `closed`: POST /v1/auth/register answers 403; admins and service keys create users. */
  registration: 'open' | 'closed'
}
