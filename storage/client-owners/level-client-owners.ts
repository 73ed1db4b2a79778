import { KeyFilter } from '../key-filter.js'
import type { StringLevel } from '../level.js'
import { LruMap } from '../lru-map.js'
import { createSerialQueue } from '../serial-queue.js'
import type { ClientIdClaim, ClientOwners } from './client-owners.js'

/** Records kept in memory: ~200 bytes each, so at most ~2 MB. */
const CACHED_RECORDS = 10_000
/**
 * A renewal by the same owner is written only once the stored one is this much of the ttl old: a
 * reconnect costs no write, and an id lapses at most this much early after a restart or eviction.
 */
const RENEW_FRACTION = 0.1

interface OwnerRecord {
  owner: string
  stateKept: boolean
  /** When the ownership lapses: the last claim plus the ttl. */
  expiresAt: number
  /** The expiry last written to the database (at most `expiresAt`). */
  storedExpiresAt: number
}

/**
 * Keys `o!{clientId}` -> `{expiresAt}\x00{owner}\x00{stateKept 0|1}` in the session LevelDB (records
 * without the last field predate it: state kept). Claims are serialized per process (embedded mode
 * has one), which makes check-and-set atomic, and this store is the only writer of its keys, so the
 * records it read or wrote last are served from memory (an LRU of `CACHED_RECORDS`), and ids never
 * claimed (a `KeyFilter` of every id with a record) are answered without a read.
 */
export class LevelClientOwners implements ClientOwners {
  private readonly serialize = createSerialQueue()
  private readonly records = new LruMap<string, OwnerRecord>(CACHED_RECORDS)
  private readonly claimed = new KeyFilter()

  constructor(
    private readonly db: StringLevel,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now
  ) {}

  claim(clientId: string, owner: string, keepsState = false): Promise<ClientIdClaim> {
    return this.serialize(async () => {
      let current = this.records.get(clientId)
      if (current === undefined) {
        current = await this.read(clientId)
        if (current !== undefined) this.records.set(clientId, current)
      }
      const now = this.now()
      let stateKept = keepsState
      if (current !== undefined) {
        if (current.owner !== owner && current.expiresAt > now) return { holder: current.owner, stateKept: current.stateKept }
        // a lapsed owner's session may still be stored: the flag carries over
        stateKept ||= current.stateKept
      }
      const ttlMs = this.ttlSeconds * 1000
      const record = { owner, stateKept, expiresAt: now + ttlMs, storedExpiresAt: current?.storedExpiresAt ?? 0 }
      const unchanged = current !== undefined && current.owner === owner && current.stateKept === stateKept
      if (!unchanged || record.storedExpiresAt < now + ttlMs * (1 - RENEW_FRACTION)) {
        this.claimed.add(clientId)
        await this.db.put(`o!${clientId}`, `${record.expiresAt}\u0000${owner}\u0000${stateKept ? 1 : 0}`)
        record.storedExpiresAt = record.expiresAt
      }
      this.records.set(clientId, record)
      return { holder: owner, stateKept }
    })
  }

  private async read(clientId: string): Promise<OwnerRecord | undefined> {
    await this.claimed.filled(() => this.fillFilter())
    if (!this.claimed.mayHave(clientId)) return undefined
    const value = await this.db.get(`o!${clientId}`)
    if (value === undefined) return undefined
    const [expiresAt = '0', owner = '', flag] = value.split('\u0000')
    return { owner, stateKept: flag !== '0', expiresAt: Number(expiresAt), storedExpiresAt: Number(expiresAt) }
  }

  /** Once per process: every id with a record ('"' follows '!', so the range is exactly the `o!` keys). */
  private async fillFilter(): Promise<void> {
    for await (const key of this.db.keys({ gte: 'o!', lt: 'o"' })) this.claimed.add(key.slice(2))
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}
