import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AccountsStore, Room, User } from './accounts-store.js'

export interface AccountsHarness {
  open(): Promise<AccountsStore>
  destroy(): Promise<void>
}

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
    let harness: AccountsHarness
    let store: AccountsStore

    beforeEach(async () => {
      harness = await makeHarness()
      store = await harness.open()
    })
    afterEach(async () => {
      await store.close()
      await harness.destroy()
    })

    it('creates users once', async () => {
      await store.createUser(user('alice'))
      expect(await store.getUser('alice')).toEqual(user('alice'))
      expect(await store.getUser('nobody')).toBeNull()
      await expect(store.createUser(user('alice'))).rejects.toMatchObject({ code: 'conflict' })
      const racing = await Promise.allSettled([store.createUser(user('bob')), store.createUser(user('bob'))])
      expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    })

    it('creates rooms once, with their members', async () => {
      await store.createRoom(room('r1', ['alice', 'bob']))
      const found = await store.getRoom('r1')
      expect(found).toMatchObject({ id: 'r1', name: 'Room r1', kind: 'group', createdBy: 'alice' })
      expect(found?.members.sort()).toEqual(['alice', 'bob'])
      expect(await store.getRoom('nope')).toBeNull()
      await expect(store.createRoom(room('r1', ['carol']))).rejects.toMatchObject({ code: 'conflict' })
    })

    it('adds and removes members idempotently; both views agree', async () => {
      await store.createRoom(room('r1', ['alice']))
      await store.createRoom(room('r2', ['alice', 'bob']))
      expect(await store.addMember('r1', 'bob')).toBe(true)
      expect(await store.addMember('r1', 'bob')).toBe(false)
      expect((await store.roomsOf('bob')).sort()).toEqual(['r1', 'r2'])
      expect(await store.removeMember('r2', 'bob')).toBe(true)
      expect(await store.removeMember('r2', 'bob')).toBe(false)
      expect(await store.roomsOf('bob')).toEqual(['r1'])
      expect((await store.getRoom('r2'))?.members).toEqual(['alice'])
      expect(await store.roomsOf('nobody')).toEqual([])
    })

    it('keeps everything across a restart', async () => {
      await store.createUser(user('alice'))
      await store.createRoom(room('r1', ['alice']))
      await store.close()
      store = await harness.open()
      expect(await store.getUser('alice')).toEqual(user('alice'))
      expect(await store.roomsOf('alice')).toEqual(['r1'])
    })
  })
}
