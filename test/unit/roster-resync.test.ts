import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UserDirectory } from '../../broker/directory.js'
import { membershipSync } from '../../broker/membership-feeds/membership-sync.js'
import { createLogger } from '../../core/logger.js'
import type { Room } from '../../storage/accounts/accounts-store.js'
import { type EmbeddedStorage, openEmbeddedStorage } from '../../storage/embedded.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const room = (id: string, members: string[]): Room => ({ id, name: id, kind: 'group', createdBy: 'owner', createdAt: 0, members })

/**
 * After a gap in the membership feed the directory's roster (who else is in the rooms of users
 * connected here; it decides who sees whose presence) is re-read too, not only the connected
 * users' own rooms: changes of users connected elsewhere are missed the same way.
 */
describe('membershipSync: the roster of other members after a gap in the feed', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  let storage: EmbeddedStorage
  let directory: UserDirectory
  let reads: Promise<string[]>[]
  let failures: string[]
  /** Runs once after the next read of that room's members was served, before it is applied. */
  let afterMembersRead: { roomId: string; run: () => Promise<void> } | null

  beforeEach(async () => {
    reads = []
    failures = []
    afterMembersRead = null
    dir = await makeTempDir('mqchat-roster-')
    storage = await openEmbeddedStorage(dir.path)
    await storage.accounts.createRoom(room('r1', ['alice', 'dave']))
    await storage.accounts.createRoom(room('r2', ['alice']))
    directory = new UserDirectory(
      (roomId) => {
        const read = storage.accounts.getRoom(roomId).then(async (found) => {
          const hook = afterMembersRead?.roomId === roomId ? afterMembersRead : null
          if (hook) afterMembersRead = null
          await hook?.run()
          return found?.members ?? []
        })
        reads.push(read)
        return read
      },
      (roomId, error) => failures.push(`${roomId}: ${error}`)
    )
    // alice is connected to this node; carol and dave are connected elsewhere
    directory.attach('alice')
    await directory.load('alice', () => storage.accounts.roomPageOf('alice'))
  })
  afterEach(async () => {
    await Promise.allSettled(reads)
    expect(failures).toEqual([])
    await storage.close()
    await dir.remove()
  })

  /** A sync whose gaps `gapOf` runs to the end. */
  const syncing = () => {
    let finished: () => void = () => undefined
    const sync = membershipSync(directory, storage.accounts, createLogger('silent'), { onResynced: () => finished() })
    const gapOf = () =>
      new Promise<void>((resolve) => {
        finished = resolve
        sync.gap()
      })
    return { sync, gapOf }
  }

  it('shows the members added and hides the members removed while the feed was away', async () => {
    expect([directory.sharesRoom('alice', 'dave'), directory.sharesRoom('alice', 'carol')]).toEqual([true, false])
    // changes the feed never carried: none of them is alice's own
    await storage.accounts.removeMember('r1', 'dave')
    await storage.accounts.addMember('r2', 'carol')
    await syncing().gapOf()
    expect([directory.sharesRoom('alice', 'dave'), directory.sharesRoom('alice', 'carol')]).toEqual([false, true])
    expect(directory.roomsOf('alice').sort()).toEqual(['r1', 'r2'])
  })

  it('a change delivered while a room’s members are re-read is applied over what was read', async () => {
    const { sync, gapOf } = syncing()
    afterMembersRead = {
      roomId: 'r1',
      // the read of r1 was served (dave still in it); then dave leaves and the feed says so
      async run() {
        await storage.accounts.removeMember('r1', 'dave')
        sync.change({ roomId: 'r1', userId: 'dave', isMember: false })
      }
    }
    await gapOf()
    expect(afterMembersRead).toBeNull()
    expect(directory.sharesRoom('alice', 'dave')).toBe(false)
  })
})
