import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UserDirectory } from '../../broker/directory.js'
import { membershipSync } from '../../broker/membership-feeds/membership-sync.js'
import { createLogger } from '../../core/logger.js'
import type { Room } from '../../storage/accounts/accounts-store.js'
import { type EmbeddedStorage, openEmbeddedStorage } from '../../storage/embedded.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const room = (id: string, members: string[]): Room => ({ id, name: id, kind: 'group', createdBy: 'owner', createdAt: 0, members })

/** The re-read after a gap, against a real (LevelDB) accounts store and the broker's directory. */
describe('membershipSync: re-reading connected users after a gap in the feed', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  let storage: EmbeddedStorage
  let directory: UserDirectory
  /** The directory also reads the members of rooms its users join (presence); those reads finish before the store closes. */
  let rosterReads: Promise<string[]>[]
  let rosterFailures: string[]

  beforeEach(async () => {
    rosterReads = []
    rosterFailures = []
    dir = await makeTempDir('mqchat-sync-')
    storage = await openEmbeddedStorage(dir.path)
    for (const id of ['r1', 'r2', 'r3']) await storage.accounts.createRoom(room(id, ['alice', 'bob']))
    directory = new UserDirectory(
      (roomId) => {
        const members = storage.accounts.getRoom(roomId).then((found) => found?.members ?? [])
        rosterReads.push(members)
        return members
      },
      (roomId, error) => rosterFailures.push(`${roomId}: ${error}`)
    )
    for (const user of ['alice', 'bob']) {
      directory.attach(user)
      await directory.load(user, () => storage.accounts.roomPageOf(user))
    }
  })
  afterEach(async () => {
    await Promise.allSettled(rosterReads)
    expect(rosterFailures).toEqual([])
    await storage.close()
    await dir.remove()
  })

  /** Runs one gap; resolves when its resync finished. */
  function resync(accounts: Parameters<typeof membershipSync>[1]) {
    let finished: () => void = () => undefined
    const done = new Promise<void>((resolve) => {
      finished = resolve
    })
    const sync = membershipSync(directory, accounts, createLogger('silent'), { onResynced: () => finished() })
    return { sync, done }
  }

  it('applies what the store says now, for every connected user', async () => {
    // changes the feed never carried
    await storage.accounts.removeMember('r1', 'alice')
    await storage.accounts.createRoom(room('r4', ['bob']))
    const { sync, done } = resync(storage.accounts)
    sync.gap()
    await done
    expect(directory.roomsOf('alice').sort()).toEqual(['r2', 'r3'])
    expect(directory.roomsOf('bob').sort()).toEqual(['r1', 'r2', 'r3', 'r4'])
  })

  it('a change delivered while a user is re-read is applied over what was read, not lost', async () => {
    let sync: ReturnType<typeof membershipSync> | undefined
    const { sync: created, done } = resync({
      async roomsOf(userId) {
        const rooms = await storage.accounts.roomsOf(userId)
        if (userId === 'alice') {
          // the read was served; then alice leaves r2 and joins r5, and the feed delivers both
          await storage.accounts.removeMember('r2', 'alice')
          sync?.change({ roomId: 'r2', userId: 'alice', isMember: false })
          await storage.accounts.createRoom(room('r5', ['alice']))
          sync?.change({ roomId: 'r5', userId: 'alice', isMember: true })
        }
        return rooms
      }
    })
    sync = created
    sync.gap()
    await done
    expect(directory.roomsOf('alice').sort()).toEqual(['r1', 'r3', 'r5'])
    expect(directory.isMember('alice', 'r2')).toBe(false)
  })
})
