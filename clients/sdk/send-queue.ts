import { ChatError } from './errors.js'
import type { RestClient } from './rest.js'
import type { Envelope, OutgoingMessage } from './types.js'

interface Pending {
  room: string
  id: string
  payload: string
  resolve(envelope: Envelope): void
  reject(error: Error): void
  timer?: ReturnType<typeof setTimeout>
}

/** REST failures that say nothing about the send itself: it stays queued for the next reconnect. */
const TRANSIENT = new Set(['unreachable', 'unavailable', 'bad_answer'])

/**
 * Sends waiting for their envelope. A send stays here until the envelope with its `(room, id)` is
 * seen (live or from a history fill), a `duplicate` notice names its seq, or a `rejected` notice
 * names its reason. Everything here is published again after a reconnect with the same id, which
 * the server sequences once (SPEC §4, idempotent). A send acknowledged but answered by neither (a
 * notice the server did not send: rejection notices are rate-limited) is settled over REST after a
 * while, see `settleOverRest`.
 */
export class SendQueue {
  readonly #pending = new Map<string, Pending>()

  add(room: string, id: string, payload: string): Promise<Envelope> {
    const key = keyOf(room, id)
    const existing = this.#pending.get(key)
    if (existing) return Promise.reject(new ChatError('duplicate_send', `a send with id ${id} is already waiting in ${room}`))
    return new Promise<Envelope>((resolve, reject) => {
      this.#pending.set(key, { room, id, payload, resolve, reject })
    })
  }

  /** Calls `onTimeout` after `ms` unless the send is settled first (a later call replaces the timer). */
  arm(room: string, id: string, ms: number, onTimeout: () => void): void {
    const pending = this.#pending.get(keyOf(room, id))
    if (!pending) return
    clearTimeout(pending.timer)
    pending.timer = setTimeout(onTimeout, ms)
  }

  has(room: string, id: string): boolean {
    return this.#pending.has(keyOf(room, id))
  }

  /** `sender`: our user id; someone else's envelope with our id is theirs (our send is answered `id_taken`). */
  resolve(envelope: Envelope, sender: string | undefined): void {
    if (sender !== undefined && envelope.from !== sender) return
    const key = keyOf(envelope.room, envelope.id)
    const pending = this.#pending.get(key)
    if (!pending) return
    this.#pending.delete(key)
    clearTimeout(pending.timer)
    pending.resolve(envelope)
  }

  reject(room: string, id: string, error: Error): void {
    const key = keyOf(room, id)
    const pending = this.#pending.get(key)
    if (!pending) return
    this.#pending.delete(key)
    clearTimeout(pending.timer)
    pending.reject(error)
  }

  /** Every waiting send, oldest first (Map keeps insertion order). */
  all(): { room: string; id: string; payload: string }[] {
    return [...this.#pending.values()]
  }

  rejectAll(error: Error): void {
    const all = [...this.#pending.values()]
    this.#pending.clear()
    for (const pending of all) {
      clearTimeout(pending.timer)
      pending.reject(error)
    }
  }
}

/**
 * Sends the waiting message again over REST with its id: the answer is its envelope (also when it was
 * sequenced already) or the server's reason, which settles the send either way.
 */
export async function settleOverRest(
  rest: RestClient,
  sends: SendQueue,
  send: { room: string; id: string; payload: string },
  sender: string | undefined
): Promise<void> {
  try {
    const { envelope } = await rest.sendMessage(send.room, JSON.parse(send.payload) as OutgoingMessage)
    sends.resolve(envelope, sender)
  } catch (error) {
    if (error instanceof ChatError && !TRANSIENT.has(error.code)) return sends.reject(send.room, send.id, error)
    throw error
  }
}

const keyOf = (room: string, id: string) => `${room}\n${id}`
