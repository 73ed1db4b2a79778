import { Counter, type Registry } from 'prom-client'
import { createLogger, type Logger } from '../../core/logger.js'
import type { RedisClient } from '../redis-client.js'
import { groupsOf } from './redis-consumer-group.js'

export interface RedisLogTrimOptions {
  /** The partition streams of the log. */
  streams: string[]
  /** The persisters' group: it always bounds the trim (an entry it has not acknowledged is not in history yet). */
  persisters: string
  /** Other groups hold entries at most this long (MQCHAT_PUSH_MAX_LAG_MS); older ones are trimmed without them. */
  groupMaxLagMs: number
}

/**
 * Drops from the partition streams what the consumer groups no longer need, so Redis memory is flat
 * in the number of messages (SPEC §10). The persisters' group always bounds the trim, and a stream
 * whose persisters' group does not exist yet is not trimmed (that group starts at the oldest entry).
 * Any other group (offline push) holds entries for `groupMaxLagMs` at most: a group no one consumes
 * any more (push turned off, a bridge deployment stopped) would otherwise hold every stream forever.
 * Past that bound its entries are trimmed all the same, counted and logged: a push that late is
 * worth nothing. Its consumers never see them: XREADGROUP goes on at the next entry still there, and
 * a pending one comes back without fields (RedisConsumerGroup drops it, XAUTOCLAIM forgets it).
 * Entry ids are Redis time (`XADD *`); the bound is taken on this process's clock, which is assumed
 * to be within far less than the bound (a minute at least) of Redis's.
 */
export class RedisLogTrim {
  /** Added to the node's registry by `instrument` (the log is built before the registry is known). */
  readonly dropped = new Counter({
    name: 'mqchat_chat_log_dropped_total',
    help: 'Chat log entries trimmed before a consumer group other than the persisters (push) handled them: it lagged more than MQCHAT_PUSH_MAX_LAG_MS (counted by whole stream nodes: approximate)',
    labelNames: ['group'],
    registers: []
  })
  private logger: Logger = createLogger('warn').child({ component: 'chat-log-trim' })
  /** Groups that lagged past the bound at the last trim (a log line when one starts or stops). */
  private lagging = new Set<string>()

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisLogTrimOptions
  ) {}

  instrument(registry: Registry, logger: Logger): void {
    registry.registerMetric(this.dropped)
    this.logger = logger.child({ component: 'chat-log-trim' })
  }

  /** Trims every partition stream; `now` is when the other groups' bound is counted from. */
  async trim(now = Date.now()): Promise<void> {
    const cutoff = `${Math.max(now - this.options.groupMaxLagMs, 0)}-0`
    const lagging = new Set<string>()
    await Promise.all(this.options.streams.map((stream) => this.trimStream(stream, cutoff, lagging)))
    const { groupMaxLagMs } = this.options
    for (const group of lagging) {
      if (!this.lagging.has(group))
        this.logger.warn(
          { group, groupMaxLagMs },
          'consumer group lags past its bound: the chat log is trimmed without it, its entries older than the bound are dropped'
        )
    }
    for (const group of this.lagging) {
      if (!lagging.has(group)) this.logger.info({ group, groupMaxLagMs }, 'consumer group back within its lag bound')
    }
    this.lagging = lagging
  }

  private async trimStream(stream: string, cutoff: string, lagging: Set<string>): Promise<void> {
    const groups = await groupsOf(this.redis, stream)
    if (!groups.some((group) => group.name === this.options.persisters)) return
    let minId: string | null = null
    /** Lagging groups and the oldest entry each still needs. */
    const dropping: [string, string][] = []
    for (const group of groups) {
      const name = String(group.name)
      const lastDelivered = String(group['last-delivered-id'] ?? '0-0')
      const pending = (await this.redis.xpending(stream, name)) as [number, string | null, ...unknown[]]
      const oldestPending = pending[1]
      // the group needs its oldest pending entry and whatever follows the last one delivered
      const next = nextId(lastDelivered)
      let bound = oldestPending && compareIds(oldestPending, next) < 0 ? oldestPending : next
      if (name !== this.options.persisters && compareIds(bound, cutoff) < 0) {
        // an idle group that read everything is not lagging: only one that still needs an older entry
        if (await this.needsOlder(stream, lastDelivered, oldestPending, cutoff)) {
          lagging.add(name)
          dropping.push([name, bound])
        }
        bound = cutoff
      }
      if (minId === null || compareIds(bound, minId) < 0) minId = bound
    }
    if (minId === null) return
    const removed = Number(await this.redis.xtrim(stream, 'MINID', '~', minId))
    // what went is counted for a lagging group that needed anything below the new bound (of which it
    // had handled the entries the last `~` trim left below its own bound: one stream node at most)
    for (const [name, needed] of dropping) if (removed > 0 && compareIds(needed, minId) < 0) this.dropped.inc({ group: name }, removed)
  }

  /** Whether a group still needs an entry older than `cutoff`: a pending one, or one not delivered yet. */
  private async needsOlder(stream: string, lastDelivered: string, oldestPending: string | null, cutoff: string): Promise<boolean> {
    if (oldestPending && compareIds(oldestPending, cutoff) < 0) return true
    const next = await this.redis.xrange(stream, `(${lastDelivered}`, cutoff, 'COUNT', 1)
    return next.length > 0
  }
}

/** The smallest stream id after `id`. */
function nextId(id: string): string {
  const dash = id.indexOf('-')
  return `${id.slice(0, dash)}-${BigInt(id.slice(dash + 1)) + 1n}`
}

function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number)
  const [bm = 0, bs = 0] = b.split('-').map(Number)
  return am - bm || as - bs
}
