import { ChatError } from './errors.js'
import type { Envelope } from './types.js'

interface Pending {
  room: string
  id: string
  payload: string
  resolve(envelope: Envelope): void
  reject(error: Error): void
}

/**
 * Sends waiting for their envelope. A send stays here until the envelope with its `(room, id)` is
 * seen (live or from a history fill), a `duplicate` notice names its seq, or a `rejected` notice
 * names its reason. Everything here is published again after a reconnect with the same id, which
 * the server sequences once (SPEC §4, idempotent).
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
    pending.resolve(envelope)
  }

  reject(room: string, id: string, error: Error): void {
    const key = keyOf(room, id)
    const pending = this.#pending.get(key)
    if (!pending) return
    this.#pending.delete(key)
    pending.reject(error)
  }

  /** Every waiting send, oldest first (Map keeps insertion order). */
  all(): { room: string; id: string; payload: string }[] {
    return [...this.#pending.values()]
  }

  rejectAll(error: Error): void {
    const all = [...this.#pending.values()]
    this.#pending.clear()
    for (const pending of all) pending.reject(error)
  }
}

const keyOf = (room: string, id: string) => `${room}\n${id}`
