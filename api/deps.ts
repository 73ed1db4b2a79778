import type { Registry } from 'prom-client'
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
  registry: Registry
  logger: Logger
  /** False while starting or shutting down: /readyz answers 503. */
  isReady(): boolean
}

export interface ApiOptions {
  maxMessageBytes: number
}
