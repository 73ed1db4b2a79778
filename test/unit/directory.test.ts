import { describe, expect, it } from 'vitest'
import { type RoomMembers, UserDirectory } from '../../broker/directory.js'

/** A read that the test finishes when it wants: the window a membership change can fall into. */
function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

const members: Record<string, string[]> = { r1: ['alice', 'bob'], r2: ['alice', 'carol'], r3: ['alice', 'dave'] }
/** Rooms as the accounts store reads them at connect: with their members. */
const rooms = (...ids: string[]): RoomMembers[] => ids.map((id) => ({ id, members: members[id] ?? [] }))
const directory = () =>
  new UserDirectory(
    async (roomId) => members[roomId] ?? [],
    (roomId, error) => {
      throw new Error(`members of ${roomId}: ${String(error)}`)
    }
  )

describe('UserDirectory: a connection joins before its rooms are read (issue 6 item 10)', () => {
  it('a removal that arrives while the rooms are being read is not lost', async () => {
    const dir = directory()
    const read = deferred<RoomMembers[]>()
    dir.attach('alice')
    const loaded = dir.load('alice', () => read.promise)
    // alice is removed from r1 and added to r3 after the store answered with the old rooms
    dir.membershipChanged('r1', 'alice', false)
    dir.membershipChanged('r3', 'alice', true)
    read.resolve(rooms('r1', 'r2'))
    await loaded
    expect(dir.isMember('alice', 'r1')).toBe(false)
    expect(dir.isMember('alice', 'r2')).toBe(true)
    expect(dir.isMember('alice', 'r3')).toBe(true)
  })

  it('a second connection of the user waits for the first read and does not read again', async () => {
    const dir = directory()
    const read = deferred<RoomMembers[]>()
    let reads = 0
    const readRooms = () => {
      reads += 1
      return read.promise
    }
    dir.attach('alice')
    const first = dir.load('alice', readRooms)
    dir.attach('alice')
    const second = dir.load('alice', readRooms)
    read.resolve(rooms('r1'))
    await Promise.all([first, second])
    expect(reads).toBe(1)
    expect(dir.isMember('alice', 'r1')).toBe(true)
    expect(dir.detach('alice')).toBe(1)
    expect(dir.isMember('alice', 'r1')).toBe(true)
    expect(dir.detach('alice')).toBe(0)
    expect(dir.isMember('alice', 'r1')).toBe(false)
  })

  it("a connect reads no room's members of its own: they come with the user's rooms; a room joined later reads them", async () => {
    const loadedMembers: string[] = []
    const dir = new UserDirectory(
      async (roomId) => {
        loadedMembers.push(roomId)
        return members[roomId] ?? []
      },
      (roomId, error) => {
        throw new Error(`members of ${roomId}: ${String(error)}`)
      }
    )
    dir.attach('alice')
    await dir.load('alice', async () => rooms('r1', 'r2'))
    expect(loadedMembers).toEqual([])
    expect(dir.sharesRoom('alice', 'carol')).toBe(true)
    dir.membershipChanged('r3', 'alice', true)
    expect(loadedMembers).toEqual(['r3'])
  })

  it('a failed read fails the connection and the next one reads again', async () => {
    const dir = directory()
    dir.attach('alice')
    await expect(dir.load('alice', () => Promise.reject(new Error('store away')))).rejects.toThrow('store away')
    await dir.load('alice', async () => rooms('r2'))
    expect(dir.isMember('alice', 'r2')).toBe(true)
  })

  it('shares a room: presence goes only to users with a room in common, kept current', async () => {
    const dir = directory()
    dir.attach('bob')
    await dir.load('bob', async () => rooms('r1'))
    expect(dir.sharesRoom('bob', 'alice')).toBe(true)
    expect(dir.sharesRoom('bob', 'carol')).toBe(false)
    expect(dir.sharesRoom('bob', 'bob')).toBe(true)
    dir.membershipChanged('r1', 'carol', true)
    expect(dir.sharesRoom('bob', 'carol')).toBe(true)
    dir.membershipChanged('r1', 'alice', false)
    expect(dir.sharesRoom('bob', 'alice')).toBe(false)
    // a user not connected here shares nothing
    expect(dir.sharesRoom('carol', 'bob')).toBe(false)
  })
})
