/** How long a typing signal shows without a newer one (senders repeat it every few seconds). */
const TYPING_SHOWN_MS = 5000

/** Who is typing in which room, each until their signal runs out, they stop, or their message arrives. */
export class TypingUsers {
  /** room -> user -> until when the typing line shows them. */
  readonly #rooms = new Map<string, Map<string, number>>()

  signal(room: string, user: string, typing: boolean): void {
    const users = this.#rooms.get(room) ?? new Map<string, number>()
    if (typing) users.set(user, Date.now() + TYPING_SHOWN_MS)
    else users.delete(user)
    this.#rooms.set(room, users)
  }

  stop(room: string, user: string): void {
    this.#rooms.get(room)?.delete(user)
  }

  in(room: string): string[] {
    return [...(this.#rooms.get(room)?.keys() ?? [])]
  }

  /** Drops the signals that ran out; true when someone disappeared. */
  expire(now = Date.now()): boolean {
    let changed = false
    for (const users of this.#rooms.values()) {
      for (const [user, until] of users) {
        if (until <= now) {
          users.delete(user)
          changed = true
        }
      }
    }
    return changed
  }
}
