import { describe, expect, it } from 'vitest'
import { type RoomMembers, UserDirectory } from '../../broker/directory.js'

/** Records the directory's follow/unfollow calls; each follow resolves when the test says. */
function recordingFeed() {
  const followed = new Map<string, number>()
  const pending: (() => void)[] = []
  return {
    followed,
    /** Resolves every follow made so far. */
    release: () => {
      for (const resolve of pending.splice(0)) resolve()
    },
    follow: (roomId: string) => {
      followed.set(roomId, (followed.get(roomId) ?? 0) + 1)
      return new Promise<void>((resolve) => pending.push(resolve))
    },
    unfollow: (roomId: string) => {
      const count = (followed.get(roomId) ?? 0) - 1
      if (count < 0) throw new Error(`unfollow of ${roomId} without a follow`)
      if (count === 0) followed.delete(roomId)
      else followed.set(roomId, count)
    }
  }
}

const members: Record<string, string[]> = { r1: ['alice', 'bob'], r2: ['alice', 'carol'], r3: ['bob'] }
/** Rooms as the accounts store reads them at connect: with their members. */
const rooms = (...ids: string[]): RoomMembers[] => ids.map((id) => ({ id, members: members[id] ?? [] }))
const directory = (feed: ReturnType<typeof recordingFeed>) =>
  new UserDirectory(
    async (roomId) => members[roomId] ?? [],
    (roomId, error) => {
      throw new Error(`members of ${roomId}: ${String(error)}`)
    },
    feed
  )

describe('UserDirectory feeds this node exactly the rooms of its connected users (SPEC §10)', () => {
  it('a load resolves only once the feed of every room of the user runs', async () => {
    const feed = recordingFeed()
    const dir = directory(feed)
    dir.attach('alice')
    let loaded = false
    const load = dir
      .load('alice', async () => rooms('r1', 'r2'))
      .then(() => {
        loaded = true
      })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect([...feed.followed.keys()].sort()).toEqual(['r1', 'r2'])
    expect(loaded).toBe(false)
    feed.release()
    await load
    expect(loaded).toBe(true)
  })

  it('follows a room once however many connected members it has, and unfollows it with the last', async () => {
    const feed = recordingFeed()
    const dir = directory(feed)
    for (const user of ['alice', 'bob']) dir.attach(user)
    const loads = [dir.load('alice', async () => rooms('r1', 'r2')), dir.load('bob', async () => rooms('r1', 'r3'))]
    await new Promise((resolve) => setTimeout(resolve, 10))
    feed.release()
    await Promise.all(loads)
    expect(Object.fromEntries(feed.followed)).toEqual({ r1: 1, r2: 1, r3: 1 })
    dir.attach('alice')
    expect(dir.detach('alice')).toBe(1)
    expect(Object.fromEntries(feed.followed)).toEqual({ r1: 1, r2: 1, r3: 1 })
    dir.detach('alice')
    expect(Object.fromEntries(feed.followed)).toEqual({ r1: 1, r3: 1 })
    dir.detach('bob')
    expect(feed.followed.size).toBe(0)
  })

  it('follows a room a connected user is added to, and unfollows one the last connected member leaves', async () => {
    const feed = recordingFeed()
    const dir = directory(feed)
    dir.attach('carol')
    const load = dir.load('carol', async () => rooms('r2'))
    await new Promise((resolve) => setTimeout(resolve, 10))
    feed.release()
    await load
    dir.membershipChanged('r3', 'carol', true)
    expect(Object.fromEntries(feed.followed)).toEqual({ r2: 1, r3: 1 })
    dir.membershipChanged('r2', 'carol', false)
    expect(Object.fromEntries(feed.followed)).toEqual({ r3: 1 })
    // a change about a user not connected here follows nothing
    dir.membershipChanged('r1', 'bob', true)
    expect(Object.fromEntries(feed.followed)).toEqual({ r3: 1 })
  })
})
