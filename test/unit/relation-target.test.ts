import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { authorizeRelation, findEntry } from '../../broker/relations.js'
import type { Envelope, RelationInput } from '../../core/message.js'
import type { AccountsStore, Room } from '../../storage/accounts/accounts-store.js'
import { LevelChatLog } from '../../storage/chat-log/level-chat-log.js'
import { LevelHistoryStore } from '../../storage/history/level-history-store.js'
import { openLevel, type StringLevel } from '../../storage/level.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const room: Room = { id: 'r', name: 'r', kind: 'group', createdBy: 'carol', createdAt: 0, members: ['alice', 'bob', 'carol'] }
const accounts = { getRoom: async (id: string) => (id === 'r' ? room : null) } as unknown as AccountsStore
const stored = (seq: number, fields: Partial<Envelope> = {}): Envelope => ({
  id: `old${seq}`,
  room: 'r',
  seq,
  from: 'alice',
  ts: 1_700_000_000_000,
  type: 'text',
  body: `old ${seq}`,
  ...fields
})

/** The pipeline's target look-up: the chat log first, history for seqs the log no longer holds (a capped Redis stream). */
describe('relations find their target in the log, else in history', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  let dbs: StringLevel[]
  let deps: { chatLog: LevelChatLog; history: LevelHistoryStore; accounts: AccountsStore }

  beforeEach(async () => {
    dir = await makeTempDir()
    dbs = [await openLevel(`${dir.path}/log`), await openLevel(`${dir.path}/history`)]
    deps = { chatLog: await LevelChatLog.open(dbs[0] as StringLevel), history: new LevelHistoryStore(dbs[1] as StringLevel), accounts }
    // seqs 1-3 only in history, as if trimmed from the log; seq 1 deleted, seq 2 an edit
    await deps.history.insertMany([stored(1), stored(2, { type: 'edit', target: 1, body: 'x' }), stored(3, { from: 'bob' })])
    await deps.history.insertMany([stored(4, { type: 'delete', target: 1, body: '' })])
  })
  afterEach(async () => {
    for (const db of dbs) await db.close()
    await dir.remove()
  })

  const codeOf = (relation: RelationInput, userId: string) =>
    authorizeRelation(deps, userId, 'r', relation).then(
      () => 'allowed',
      (error: { code?: string }) => error.code
    )

  it('reads a seq from history when the log does not hold it, and prefers the log when it does', async () => {
    expect(await findEntry(deps, 'r', 3)).toMatchObject({ seq: 3, from: 'bob', body: 'old 3' })
    expect(await findEntry(deps, 'r', 99)).toBeNull()
    await deps.chatLog.append({ room: 'fresh', id: 'n1', from: 'bob', type: 'text', body: 'in the log' })
    expect(await findEntry(deps, 'fresh', 1)).toMatchObject({ body: 'in the log' })
    expect(await findEntry({ ...deps, history: undefined }, 'r', 3)).toBeNull()
  })

  it('applies who-may and target rules to targets found only in history', async () => {
    const edit = (target: number): RelationInput => ({ id: 'e', type: 'edit', target, body: 'new' })
    const remove = (target: number): RelationInput => ({ id: 'd', type: 'delete', target, body: '' })
    expect(await codeOf(edit(3), 'bob')).toBe('allowed')
    expect(await codeOf(edit(3), 'alice')).toBe('not_author')
    expect(await codeOf(remove(3), 'alice')).toBe('not_author')
    expect(await codeOf(remove(3), 'carol')).toBe('allowed')
    expect(await codeOf(edit(1), 'alice')).toBe('bad_target')
    expect(await codeOf(edit(2), 'alice')).toBe('bad_target')
    expect(await codeOf({ id: 'x', type: 'reaction', target: 99, key: 'k', op: 'add', body: '' }, 'bob')).toBe('bad_target')
  })
})
