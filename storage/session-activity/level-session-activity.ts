import { pad, type StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import type { SessionActivity } from './session-activity.js'

const SEEN = 'a!'
const BY_TIME = 'a~'

/**
 * Keys `a!{sessionId}` -> ms and the index `a~{ms}\x00{sessionId}` in the session LevelDB.
 * Writes are serialized per process (embedded mode has one), so one node is the only sweeper.
 */
export class LevelSessionActivity implements SessionActivity {
  private readonly serialize = createSerialQueue()
  private leaseHolder: { holder: string; until: number } | null = null

  constructor(
    private readonly db: StringLevel,
    private readonly now: () => number = Date.now
  ) {}

  seen(sessionIds: readonly string[], at: number): Promise<void> {
    return this.write(sessionIds, at, true)
  }

  adopt(sessionIds: readonly string[], at: number): Promise<void> {
    return this.write(sessionIds, at, false)
  }

  private write(sessionIds: readonly string[], at: number, replace: boolean): Promise<void> {
    if (sessionIds.length === 0) return Promise.resolve()
    return this.serialize(async () => {
      const keys = sessionIds.map((id) => SEEN + id)
      const previous = await this.db.getMany(keys)
      const ops = sessionIds.flatMap((id, i) => {
        const before = previous[i]
        if (before !== undefined && !replace) return []
        return [
          ...(before === undefined ? [] : [{ type: 'del' as const, key: indexKey(Number(before), id) }]),
          { type: 'put' as const, key: keys[i] as string, value: String(at) },
          { type: 'put' as const, key: indexKey(at, id), value: '' }
        ]
      })
      await this.db.batch(ops)
    })
  }

  async idleSince(cutoff: number, limit: number): Promise<string[]> {
    const keys = await this.db.keys({ gte: BY_TIME, lt: `${BY_TIME}${pad(cutoff + 1, 16)}`, limit }).all()
    return keys.map((key) => key.slice(key.indexOf('\u0000') + 1))
  }

  claimExpired(sessionId: string, cutoff: number): Promise<boolean> {
    return this.serialize(async () => {
      const at = await this.db.get(SEEN + sessionId)
      if (at === undefined || Number(at) > cutoff) return false
      await this.db.batch([
        { type: 'del', key: SEEN + sessionId },
        { type: 'del', key: indexKey(Number(at), sessionId) }
      ])
      return true
    })
  }

  forget(sessionId: string): Promise<void> {
    return this.serialize(async () => {
      const at = await this.db.get(SEEN + sessionId)
      if (at === undefined) return
      await this.db.batch([
        { type: 'del', key: SEEN + sessionId },
        { type: 'del', key: indexKey(Number(at), sessionId) }
      ])
    })
  }

  /** Kept in memory: one process owns an embedded data directory, so nothing else competes for it. */
  async lease(holder: string, ms: number): Promise<boolean> {
    const current = this.leaseHolder
    if (current && current.holder !== holder && current.until > this.now()) return false
    this.leaseHolder = { holder, until: this.now() + ms }
    return true
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}

function indexKey(at: number, sessionId: string): string {
  return `${BY_TIME}${pad(at, 16)}\u0000${sessionId}`
}
