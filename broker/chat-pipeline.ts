import { MqchatError, unknownRoom } from '../core/errors.js'
import { type ChatInput, chatInputSchema, isRelationType, relationInputSchema } from '../core/message.js'
import type { AccountsStore } from '../storage/accounts/accounts-store.js'
import { roomForMember } from '../storage/accounts/room-access.js'
import type { AppendResult, ChatLog } from '../storage/chat-log/chat-log.js'
import type { HistoryStore } from '../storage/history/history-store.js'
import type { UserDirectory } from './directory.js'
import type { RateDecision, RateLimiter } from './rate-limiters/rate-limiter.js'
import { authorizeRelation } from './relations.js'

export interface ChatPipelineDeps {
  chatLog: ChatLog
  accounts: AccountsStore
  directory: UserDirectory
  rateLimiter: RateLimiter
  /** Where relations find targets older than the chat log keeps. */
  history?: HistoryStore
}

export interface ChatPipelineOptions {
  maxMessageBytes: number
  /** Told the reason of every refused send, from MQTT or REST (metrics). */
  onRejected?(reason: string): void
  /** Told of every message newly sequenced (metrics). */
  onAccepted?(): void
  /**
   * Runs after every new append, before the sender hears back (unread counters, mentions). The message
   * is durable by then: this must not reject; a step it could not finish is made up later (idempotent).
   */
  afterAppend?(result: AppendResult): Promise<void>
}

/** A service key with `messages:write` sends into any existing room without being a member. */
export interface SenderRights {
  anyRoom?: boolean
}

/** What a sender hands in: raw MQTT payload bytes, or a JSON body already parsed by the REST API. */
export type RawMessage = Buffer | { json: unknown; bytes: number }

export interface ChatPipeline {
  /**
   * Rate-limits, validates, authorizes and sequences one chat message; resolves once it is
   * durably in the chat log. Throws a MqchatError whose code is the rejection reason.
   */
  send(userId: string, roomId: string, raw: RawMessage, sender?: SenderRights): Promise<AppendResult>
  /** The client id of a payload, when one can be read, for rejection notices. */
  peekId(raw: RawMessage): string | null
}

/** The one path every chat message takes, from MQTT or REST. */
export function createChatPipeline(deps: ChatPipelineDeps, options: ChatPipelineOptions): ChatPipeline {
  const { chatLog, accounts, directory, rateLimiter } = deps

  async function assertMember(userId: string, roomId: string, sender: SenderRights): Promise<void> {
    if (sender.anyRoom) {
      if (!(await accounts.getRoom(roomId))) throw unknownRoom(roomId)
      return
    }
    if (directory.isMember(userId, roomId)) return
    await roomForMember(accounts, roomId, userId)
  }

  function parse(raw: RawMessage): unknown {
    const bytes = Buffer.isBuffer(raw) ? raw.length : raw.bytes
    if (bytes > options.maxMessageBytes) {
      throw new MqchatError('too_large', `message is ${bytes} bytes; the limit is ${options.maxMessageBytes}`)
    }
    if (!Buffer.isBuffer(raw)) return raw.json
    try {
      return JSON.parse(raw.toString('utf8'))
    } catch {
      throw new MqchatError('invalid_json', 'payload is not valid JSON')
    }
  }

  /** First of all checks: a refused or invalid send costs the sender its budget too (issue 6, item 6). */
  async function assertWithinLimit(userId: string): Promise<void> {
    let decision: RateDecision
    try {
      decision = await rateLimiter.consume('chat', userId)
    } catch (error) {
      throw new MqchatError('unavailable', 'the rate limiter is unavailable; retry', error)
    }
    if (!decision.allowed) throw new MqchatError('rate_limited', `too many messages; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`)
  }

  async function send(userId: string, roomId: string, raw: RawMessage, sender: SenderRights): Promise<AppendResult> {
    await assertWithinLimit(userId)
    const input = parse(raw)
    // edits, deletes and reactions (SPEC §4b) are sequenced like messages once their target checks out
    const relation = isRelationType((input as { type?: unknown } | null)?.type as string)
    const parsed = relation ? relationInputSchema.safeParse(input) : chatInputSchema.safeParse(input)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new MqchatError('invalid_message', `${issue?.path.join('.') || 'message'}: ${issue?.message}`, parsed.error.issues)
    }
    await assertMember(userId, roomId, sender)
    const message: ChatInput = parsed.data
    const target = relation && 'target' in parsed.data ? await authorizeRelation(deps, userId, roomId, parsed.data) : undefined
    try {
      return await chatLog.append({ ...message, room: roomId, from: userId, ...(message.type === 'delete' ? { deletes: target } : {}) })
    } catch (error) {
      // the log's own refusals (`id_taken`, an entry it cannot store) are the sender's, not an outage
      if (error instanceof MqchatError) throw error
      throw new MqchatError('unavailable', 'the chat log is unavailable; retry', error)
    }
  }

  return {
    send(userId, roomId, raw, sender = {}) {
      return send(userId, roomId, raw, sender).then(
        async (result) => {
          if (result.duplicate) return result
          options.onAccepted?.()
          await options.afterAppend?.(result)
          return result
        },
        (error: unknown) => {
          if (error instanceof MqchatError) options.onRejected?.(error.code)
          throw error
        }
      )
    },

    peekId(raw) {
      if (Buffer.isBuffer(raw) && raw.length > options.maxMessageBytes) return null
      try {
        const value = Buffer.isBuffer(raw) ? JSON.parse(raw.toString('utf8')) : raw.json
        return typeof value?.id === 'string' ? value.id.slice(0, 64) : null
      } catch {
        return null
      }
    }
  }
}
