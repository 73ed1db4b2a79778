import type { StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import type { ClientIdClaim, ClientOwners } from './client-owners.js'

/**
 * Keys `o!{clientId}` -> `{expiresAt}\x00{owner}\x00{stateKept 0|1}` in the session LevelDB (records
 * without the last field predate it: state kept). Claims are serialized per process (embedded mode
 * has one), which makes check-and-set atomic.
 */
export class LevelClientOwners implements ClientOwners {
  private readonly serialize = createSerialQueue()

  constructor(
    private readonly db: StringLevel,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now
  ) {}

  claim(clientId: string, owner: string, keepsState = false): Promise<ClientIdClaim> {
    return this.serialize(async () => {
      const key = `o!${clientId}`
      const current = await this.db.get(key)
      let stateKept = keepsState
      if (current !== undefined) {
        const [expiresAt = '0', holder = '', flag] = current.split('\u0000')
        if (holder !== owner && Number(expiresAt) > this.now()) return { holder, stateKept: flag !== '0' }
        // a lapsed owner's session may still be stored: the flag carries over
        stateKept ||= flag !== '0'
      }
      await this.db.put(key, `${this.now() + this.ttlSeconds * 1000}\u0000${owner}\u0000${stateKept ? 1 : 0}`)
      return { holder: owner, stateKept }
    })
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}
