/** A tiny typed event emitter (no Node `events` import, so the browser build stays small). */
export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #listeners = new Map<keyof Events, Set<(value: never) => void>>()

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(name: K, listener: (value: Events[K]) => void): () => void {
    let set = this.#listeners.get(name)
    if (!set) {
      set = new Set()
      this.#listeners.set(name, set)
    }
    set.add(listener as (value: never) => void)
    return () => this.off(name, listener)
  }

  off<K extends keyof Events>(name: K, listener: (value: Events[K]) => void): void {
    this.#listeners.get(name)?.delete(listener as (value: never) => void)
  }

  /**
   * Calls each listener. A listener that throws does not stop the others or the SDK's own work:
   * its error is rethrown on a later task, where the host reports it as uncaught.
   */
  protected emit<K extends keyof Events>(name: K, value: Events[K]): void {
    const set = this.#listeners.get(name)
    if (!set) return
    for (const listener of [...set]) {
      try {
        ;(listener as (value: Events[K]) => void)(value)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }
}
