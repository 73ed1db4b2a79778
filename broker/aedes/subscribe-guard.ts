import type { Client, Subscription } from 'aedes'

/** Decides once whether a subscription is granted (ACL and per-session cap). */
export type SubscriptionDecider = (client: Client, subscription: Subscription) => boolean

export interface SubscribeGuardOptions {
  /** Filters one SUBSCRIBE may carry; a larger one closes the connection. */
  maxFiltersPerSubscribe: number
  decide: SubscriptionDecider
  onOversize(client: Client, filters: number): void
}

export interface SubscribeGuard {
  /** Call from preConnect: screens every later packet of the connection before Aedes handles it. */
  watch(client: Client): void
  /** The authorizeSubscribe answer: the same decision the persistence was given. */
  authorize(client: Client, subscription: Subscription): boolean
}

type Listener = (this: unknown, packet: { cmd: string; subscriptions?: unknown[] }) => void
interface ParsingClient {
  _parser: {
    /** Set by Aedes's Client constructor: `this._parser.client = this`. */
    client: Client
    listeners(event: 'packet'): Listener[]
    removeListener(event: 'packet', l: Listener): void
    on(event: 'packet', l: Listener): void
  }
}
interface SubscriptionStore {
  addSubscriptions(client: Client, subscriptions: Subscription[]): Promise<void>
}

/**
 * SUBSCRIBE limits where Aedes 1.2 has no hook for them (`lib/handlers/subscribe.js`):
 *
 * - Aedes authorizes a SUBSCRIBE filter by filter, and for a persistent session stores the packet's
 *   whole filter list once per granted filter (quadratic: 1,000 filters took +1.9 GB); here it is
 *   stored once per packet. A SUBSCRIBE over the cap is refused before Aedes sees it, by wrapping
 *   the connection's parser listener, and the connection closes (MQTT 3.1.1 has no way to refuse part of a packet but SUBACK 0x80).
 * - That stored list also holds the filters Aedes refused, so a session could grow without bound
 *   through refusals; the persistence is given only the granted ones. Each filter is decided once
 *   (memoized on its object), so what is stored and what SUBACK says always agree.
 */
export function createSubscribeGuard(persistence: object, options: SubscribeGuardOptions): SubscribeGuard {
  const decisions = new WeakMap<Subscription, boolean>()
  const decide = (client: Client, subscription: Subscription) => {
    let granted = decisions.get(subscription)
    if (granted === undefined) {
      granted = options.decide(client, subscription)
      decisions.set(subscription, granted)
    }
    return granted
  }

  const store = persistence as Partial<SubscriptionStore>
  const add = store.addSubscriptions?.bind(persistence)
  if (!add) throw new Error('aedes persistence has no addSubscriptions: the subscribe guard needs updating')
  // Aedes calls this once per granted filter with the same list: stored once, every call waits for it.
  // Concurrent stores of one list hung the SUBSCRIBE on aedes-persistence-redis: its broadcast waits
  // keyed by client and first filter, so the second call's waiter replaced the first's, never resolved.
  const stores = new WeakMap<Subscription[], Promise<void>>()
  store.addSubscriptions = (client, subscriptions) => {
    let stored = stores.get(subscriptions)
    if (!stored) {
      stored = add(
        client,
        subscriptions.filter((subscription) => decide(client, subscription))
      )
      stores.set(subscriptions, stored)
    }
    return stored
  }

  // Aedes's 'packet' listener is one module-level function (lib/client.js enqueue), the same for every
  // client: one screen wraps it for all of them, where a closure per connection was 120 bytes of each
  let enqueue: Listener | null = null
  function screen(this: unknown, packet: Parameters<Listener>[0]) {
    const { client } = this as ParsingClient['_parser']
    const filters = packet.cmd === 'subscribe' ? (packet.subscriptions?.length ?? 0) : 0
    if (filters <= options.maxFiltersPerSubscribe) return (enqueue as Listener).call(this, packet)
    // close() removes every 'packet' listener at once: nothing after this packet is screened or handled
    options.onOversize(client, filters)
    client.close()
  }

  return {
    watch(client) {
      const parser = (client as unknown as ParsingClient)._parser
      const [listener, ...others] = parser?.listeners('packet') ?? []
      if (!listener || others.length > 0 || parser.client !== client || (enqueue !== null && listener !== enqueue)) {
        throw new Error('aedes client parser changed shape: the subscribe guard needs updating')
      }
      enqueue = listener
      parser.removeListener('packet', listener)
      parser.on('packet', screen)
    },
    authorize: decide
  }
}
