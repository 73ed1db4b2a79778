import type { Registry } from 'prom-client'
import type { RateLimiter } from '../broker/rate-limiters/rate-limiter.js'
import type { Logger } from '../core/logger.js'
import type { TokenService } from '../core/tokens.js'
import type { AccountsStore } from '../storage/accounts/accounts-store.js'
import type { AppendResult, ChatLog } from '../storage/chat-log/chat-log.js'
import type { HistoryStore } from '../storage/history/history-store.js'

/** What the API asks of the broker: the same sequencer and fan-out as MQTT sends. */
export interface ChatGateway {
  /** Validates, sequences and fans out one message; throws a MqchatError on rejection. */
  send(userId: string, roomId: string, message: { json: unknown; bytes: number }): Promise<AppendResult>
  membershipChanged(roomId: string, userId: string, isMember: boolean, by: string): Promise<void>
}

export interface ApiDeps {
  accounts: AccountsStore
  history: HistoryStore
  chatLog: ChatLog
  tokens: TokenService
  chat: ChatGateway
  /** Budgets of logins, registrations, room creations and invitations (docs/protocol.md, Rate limits). */
  rateLimiter: RateLimiter
  registry: Registry
  logger: Logger
  /** False while starting or shutting down: /readyz answers 503. */
  isReady(): boolean
}

export interface ApiOptions {
  maxMessageBytes: number
  /** `closed`: POST /v1/auth/register answers 403; admins and service keys create users. */
  registration: 'open' | 'closed'
}
