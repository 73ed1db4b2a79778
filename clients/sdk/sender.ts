import type { MqttClient } from 'mqtt'
import { isId } from '../../core/ids.js'
import { topics } from '../../core/topics.js'
import { ChatError } from './errors.js'
import type { RestClient } from './rest.js'
import { SendQueue, settleOverRest } from './send-queue.js'
import type { Envelope, Notice, OutgoingMessage } from './types.js'
import { newMessageId } from './wire.js'

/**
 * After its PUBACK a send is answered within milliseconds by its envelope or a notice; one still open
 * after this long lost its notice (rejection notices are rate-limited) and is settled over REST.
 */
const SETTLE_OVER_REST_MS = 5000

export interface SenderDeps {
  client: MqttClient
  rest: RestClient
  userId: string | undefined
  /** Whether the room is joined (its envelopes then come through the room's cursor). */
  isJoined(roomId: string): boolean
  /** Subscribes; false when the broker refused a filter. */
  subscribe(filters: Record<string, { qos: 0 | 1 }>): Promise<boolean>
  onError(error: Error): void
}

/**
 * The send path: publish at QoS 1, then settle each send by its envelope (`delivered`), its
 * `duplicate` or `rejected` notice, or REST when neither comes. Sends made offline wait here and go
 * out with the same id after the next connect (`republish`), so the server sequences each once.
 */
export class Sender {
  readonly #queue = new SendQueue()
  /** Rooms followed only to see the envelopes of our own sends (sent to without `join`). */
  readonly #watched = new Set<string>()

  constructor(private readonly deps: SenderDeps) {}

  send(roomId: string, message: string | OutgoingMessage): Promise<Envelope> {
    const outgoing: OutgoingMessage = typeof message === 'string' ? { body: message } : message
    const id = outgoing.id ?? newMessageId()
    // the server could not name an unreadable id in its rejection, so the send would never be answered
    if (!isId(id)) return Promise.reject(new ChatError('invalid_message', `invalid message id ${JSON.stringify(id)}`))
    const sent = this.#queue.add(roomId, id, JSON.stringify({ ...outgoing, id }))
    if (this.deps.client.connected) void this.#publish(roomId, id)
    return sent
  }

  /** An envelope seen live or from history: settles our send with that `(room, id)`. */
  delivered(envelope: Envelope): void {
    this.#queue.resolve(envelope, this.deps.userId)
  }

  notice(notice: Notice): void {
    if (notice.type === 'rejected' && notice.id !== null) {
      this.#queue.reject(notice.room, notice.id, new ChatError(notice.reason, notice.message || notice.reason))
    } else if (notice.type === 'duplicate' && this.#queue.has(notice.room, notice.id)) {
      // already sequenced earlier (e.g. before a disconnect): its envelope is in history at that seq
      this.deps.rest
        .history(notice.room, { after: notice.seq - 1, limit: 1 })
        .then((page) => {
          const envelope = page.messages[0]
          if (envelope?.id === notice.id) this.delivered(envelope)
        })
        .catch((error: Error) => this.deps.onError(error))
    }
  }

  /** After a reconnect: follow the watched rooms again, then publish every waiting send again. */
  async resubscribe(): Promise<void> {
    for (const roomId of this.#watched) await this.deps.subscribe({ [topics.roomMessages(roomId)]: { qos: 1 } })
  }

  republish(): void {
    for (const send of this.#queue.all()) void this.#publish(send.room, send.id)
  }

  rejectAll(error: Error): void {
    this.#queue.rejectAll(error)
  }

  async #publish(roomId: string, id: string): Promise<void> {
    const { client } = this.deps
    const pending = this.#queue.all().find((send) => send.room === roomId && send.id === id)
    if (!pending) return
    if (!this.deps.isJoined(roomId) && !this.#watched.has(roomId)) {
      this.#watched.add(roomId)
      // a refused subscription (not a member) is answered by the send's own `rejected` notice
      await this.deps.subscribe({ [topics.roomMessages(roomId)]: { qos: 1 } }).catch((error: Error) => this.deps.onError(error))
    }
    // a publish cut off by a disconnect is sent again after the reconnect (`republish`), so its error is only reported
    const acknowledged = await client.publishAsync(topics.roomMessages(roomId), pending.payload, { qos: 1 }).then(
      () => true,
      (error: Error) => {
        if (client.connected) this.deps.onError(error)
        return false
      }
    )
    if (!acknowledged) return
    this.#queue.arm(roomId, id, SETTLE_OVER_REST_MS, () => {
      if (!client.connected) return
      settleOverRest(this.deps.rest, this.#queue, pending, this.deps.userId).catch((error: Error) => this.deps.onError(error))
    })
  }
}
