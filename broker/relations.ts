import { MqchatError } from '../core/errors.js'
import type { Envelope, RelationInput } from '../core/message.js'
import type { AccountsStore } from '../storage/accounts/accounts-store.js'
import type { ChatLog } from '../storage/chat-log/chat-log.js'
import type { HistoryStore } from '../storage/history/history-store.js'
import { isRelation } from '../storage/history/relation-state.js'

export interface RelationDeps {
  chatLog: ChatLog
  accounts: AccountsStore
  /** For targets older than the chat log keeps (the Redis room stream is capped). */
  history?: HistoryStore
}

/**
 * The entry at `seq`: from the chat log first (the persisters may lag behind it, and a delete
 * tombstones the log's entry at once), from history for seqs the log no longer holds.
 */
export async function findEntry(deps: RelationDeps, room: string, seq: number): Promise<Envelope | null> {
  const [logged] = await deps.chatLog.read(room, seq - 1, 1)
  if (logged?.seq === seq) return logged
  if (!deps.history) return null
  const [stored] = await deps.history.list(room, { after: seq - 1, before: seq + 1, limit: 1 })
  return stored?.seq === seq ? stored : null
}

/**
 * Who may relate to a message (SPEC §4b, §6): edit its author, delete its author or the room's
 * creator, react any member (membership is checked before). The target must be a message that
 * exists and is not deleted; relations of relations are refused. Resolves with the target.
 */
export async function authorizeRelation(deps: RelationDeps, userId: string, room: string, relation: RelationInput): Promise<Envelope> {
  const target = await findEntry(deps, room, relation.target)
  if (!target) throw new MqchatError('bad_target', `message ${relation.target} does not exist in room ${room}`)
  if (isRelation(target)) throw new MqchatError('bad_target', `entry ${relation.target} is itself an ${target.type}, not a message`)
  if (target.deleted) throw new MqchatError('bad_target', `message ${relation.target} is deleted`)
  if (relation.type === 'edit' && target.from !== userId) {
    throw new MqchatError('not_author', 'only the author of a message may edit it')
  }
  if (relation.type === 'delete' && target.from !== userId) {
    // a direct room's creator is whoever opened it first: there it gives no right over the other's messages
    const found = await deps.accounts.getRoom(room)
    if (found?.kind !== 'group' || found.createdBy !== userId) {
      throw new MqchatError('not_author', "only a message's author or the group room's creator may delete it")
    }
  }
  return target
}
