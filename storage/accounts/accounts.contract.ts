import { describe, expect, it } from 'vitest'
import { type StoreHarness, useStore } from '../contract-harness.js'
import type { AccountsStore, Room, User } from './accounts-store.js'

export type AccountsHarness = StoreHarness<AccountsStore>

const user = (id: string): User => ({ id, displayName: id.toUpperCase(), passwordHash: 'scrypt$x', createdAt: 1 })
const room = (id: string, members: string[]): Room => ({
  id,
  name: `Room ${id}`,
  kind: 'group',
  createdBy: members[0] ?? 'x',
  createdAt: 2,
  members
})

export function describeAccountsContract(name: string, makeHarness: () => Promise<AccountsHarness>): void {
  describe(`AccountsStore contract: ${name}`, () => {
    const ctx = useStore(makeHarness)

    it('creates users once', async () => {
      await ctx.store.createUser(user('alice'))
      expect(await ctx.store.getUser('alice')).toEqual(user('alice'))
      expect(await ctx.store.getUser('nobody')).toBeNull()
      await expect(ctx.store.createUser(user('alice'))).rejects.toMatchObject({ code: 'conflict' })
      const racing = await Promise.allSettled([ctx.store.createUser(user('bob')), ctx.store.createUser(user('bob'))])
      expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    })

    it('keeps user ids unique ignoring case and finds users by name in any case', async () => {
      await ctx.store.createUser(user('Alice'))
      await expect(ctx.store.createUser(user('alice'))).rejects.toMatchObject({ code: 'conflict' })
      await expect(ctx.store.createUser(user('ALICE'))).rejects.toMatchObject({ code: 'conflict' })
      expect(await ctx.store.getUser('alice')).toBeNull()
      expect((await ctx.store.findUserByName('aLiCe'))?.id).toBe('Alice')
      expect(await ctx.store.findUserByName('nobody')).toBeNull()
      const racing = await Promise.allSettled([ctx.store.createUser(user('bob')), ctx.store.createUser(user('BOB'))])
      expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      await ctx.restart()
      await expect(ctx.store.createUser(user('aLICE'))).rejects.toMatchObject({ code: 'conflict' })
    })

    it('pages the rooms of a user in id order', async () => {
      for (const id of ['r3', 'r1', 'r5', 'r2', 'r4']) await ctx.store.createRoom(room(id, ['alice']))
      await ctx.store.createRoom(room('r0', ['bob']))
      expect(await ctx.store.roomsOf('alice')).toEqual(['r1', 'r2', 'r3', 'r4', 'r5'])
      expect(await ctx.store.roomsOf('alice', { limit: 2 })).toEqual(['r1', 'r2'])
      expect(await ctx.store.roomsOf('alice', { after: 'r2', limit: 2 })).toEqual(['r3', 'r4'])
      expect(await ctx.store.roomsOf('alice', { after: 'r4', limit: 2 })).toEqual(['r5'])
      expect(await ctx.store.roomsOf('alice', { after: 'r5' })).toEqual([])
      const ids = async (page: Promise<{ id: string }[]>) => (await page).map((r) => r.id)
      expect(await ids(ctx.store.roomPageOf('alice'))).toEqual(['r1', 'r2', 'r3', 'r4', 'r5'])
      expect(await ids(ctx.store.roomPageOf('alice', { after: 'r2', limit: 2 }))).toEqual(['r3', 'r4'])
      expect(await ids(ctx.store.roomPageOf('alice', { after: 'r5' }))).toEqual([])
      const [first] = await ctx.store.roomPageOf('alice', { limit: 1 })
      expect(first).toEqual(await ctx.store.getRoom('r1'))
    })

    it('creates rooms once, with their members', async () => {
      await ctx.store.createRoom(room('r1', ['alice', 'bob']))
      const found = await ctx.store.getRoom('r1')
      expect(found).toMatchObject({ id: 'r1', name: 'Room r1', kind: 'group', createdBy: 'alice' })
      expect(found?.members.sort()).toEqual(['alice', 'bob'])
      expect(await ctx.store.getRoom('nope')).toBeNull()
      await expect(ctx.store.createRoom(room('r1', ['carol']))).rejects.toMatchObject({ code: 'conflict' })
    })

    it('adds and removes members idempotently; both views agree', async () => {
      await ctx.store.createRoom(room('r1', ['alice']))
      await ctx.store.createRoom(room('r2', ['alice', 'bob']))
      expect(await ctx.store.addMember('r1', 'bob')).toBe(true)
      expect(await ctx.store.addMember('r1', 'bob')).toBe(false)
      expect((await ctx.store.roomsOf('bob')).sort()).toEqual(['r1', 'r2'])
      expect(await ctx.store.removeMember('r2', 'bob')).toBe(true)
      expect(await ctx.store.removeMember('r2', 'bob')).toBe(false)
      expect(await ctx.store.roomsOf('bob')).toEqual(['r1'])
      expect((await ctx.store.roomPageOf('bob')).map((r) => [r.id, r.members.sort()])).toEqual([['r1', ['alice', 'bob']]])
      expect((await ctx.store.getRoom('r2'))?.members).toEqual(['alice'])
      expect(await ctx.store.roomsOf('nobody')).toEqual([])
      expect(await ctx.store.roomsOf('carol')).toEqual([])
      expect(await ctx.store.addMember('r2', 'carol')).toBe(true)
      expect(await ctx.store.roomsOf('carol')).toEqual(['r2'])
      await ctx.restart()
      expect(await ctx.store.roomsOf('carol')).toEqual(['r2'])
    })

    it('lists users in id order, by prefix, page by page', async () => {
      for (const id of ['bob', 'alice', 'al-x', 'carol']) await ctx.store.createUser(user(id))
      expect((await ctx.store.listUsers({ limit: 10 })).map((u) => u.id)).toEqual(['al-x', 'alice', 'bob', 'carol'])
      expect((await ctx.store.listUsers({ prefix: 'al', limit: 10 })).map((u) => u.id)).toEqual(['al-x', 'alice'])
      expect((await ctx.store.listUsers({ limit: 2 })).map((u) => u.id)).toEqual(['al-x', 'alice'])
      expect((await ctx.store.listUsers({ after: 'alice', limit: 2 })).map((u) => u.id)).toEqual(['bob', 'carol'])
      expect((await ctx.store.listUsers({ prefix: 'al', after: 'al-x', limit: 10 })).map((u) => u.id)).toEqual(['alice'])
    })

    it('replaces a password hash', async () => {
      await ctx.store.createUser(user('alice'))
      expect(await ctx.store.setPasswordHash('alice', 'argon2$new')).toBe(true)
      expect((await ctx.store.getUser('alice'))?.passwordHash).toBe('argon2$new')
      expect(await ctx.store.setPasswordHash('nobody', 'x')).toBe(false)
    })

    it('deletes a room with its memberships', async () => {
      await ctx.store.createRoom(room('r1', ['alice', 'bob']))
      await ctx.store.createRoom(room('r2', ['alice']))
      expect(await ctx.store.deleteRoom('r1')).toBe(true)
      expect(await ctx.store.deleteRoom('r1')).toBe(false)
      expect(await ctx.store.getRoom('r1')).toBeNull()
      expect(await ctx.store.roomsOf('alice')).toEqual(['r2'])
      expect(await ctx.store.roomsOf('bob')).toEqual([])
    })

    it('keeps everything across a restart', async () => {
      await ctx.store.createUser(user('alice'))
      await ctx.store.createRoom(room('r1', ['alice']))
      await ctx.restart()
      expect(await ctx.store.getUser('alice')).toEqual(user('alice'))
      expect(await ctx.store.roomsOf('alice')).toEqual(['r1'])
    })
  })
}
