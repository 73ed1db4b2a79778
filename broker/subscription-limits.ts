import type { Client } from 'aedes'

/**
 * How many topic filters each MQTT session holds, capped (issue 6 item 1: one persistent session
 * with 1,000 filters took 1.9 GB). A filter the session already holds is granted again; a new
 * one only while the session is below the cap. Restored subscriptions count too.
 */
export class SessionSubscriptions {
  private readonly held = new WeakMap<Client, Set<string>>()

  constructor(private readonly max: number) {}

  /** Grants `filter` to the session of `client` if it holds it already or has room for one more. */
  admit(client: Client, filter: string): boolean {
    let filters = this.held.get(client)
    if (!filters) {
      filters = new Set()
      this.held.set(client, filters)
    }
    if (filters.has(filter)) return true
    if (filters.size >= this.max) return false
    filters.add(filter)
    return true
  }

  /** UNSUBSCRIBE: the filters no longer count. */
  removed(client: Client, filters: readonly string[]): void {
    const held = this.held.get(client)
    if (held) for (const filter of filters) held.delete(filter)
  }
}
