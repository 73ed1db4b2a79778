import type { StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import type { ClientOwners } from './client-owners.js'

/**
 * Keys `o!{clientId}` -> `{expiresAt}\x00{owner}` in the session LevelDB. Claims are serialized
 * per process (embedded mode has one), which makes check-and-set atomic.
 */
export class LevelClientOwners implements ClientOwners {
  private readonly serialize = createSerialQueue()

  constructor(
    private readonly db: StringLevel,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now
  ) {}

  claim(clientId: string, owner: string): Promise<string> {
    return this.serialize(async () => {
      const key = `o!${clientId}`
      const current = await this.db.get(key)
      if (current !== undefined) {
        const split = current.indexOf('\u0000')
        const holder = current.slice(split + 1)
        if (holder !== owner && Number(current.slice(0, split)) > this.now()) return holder
      }
      await this.db.put(key, `${this.now() + this.ttlSeconds * 1000}\u0000${owner}`)
      return owner
    })
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}
