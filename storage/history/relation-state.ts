import { tombstoneOf } from '../../core/envelope.js'
import type { Envelope } from '../../core/message.js'
import { isRelationType } from '../../core/message.js'

/** Whether an envelope is a relation entry (edit, delete, reaction) rather than a message. */
export const isRelation = (envelope: Envelope): boolean => envelope.target !== undefined && isRelationType(envelope.type)

/**
 * A message's current state from its stored form and all of its relation entries (SPEC §4b):
 * the body of the last edit and its ts as `edited`, the reactions replayed in seq order (an add
 * of a key the user has is a no-op, as is a remove of one they have not), or a tombstone once a
 * delete exists. Computed from every relation each time, so replays and relations stored before
 * their target (persisters working in parallel) give the same answer: the history stores stay
 * idempotent under the persister's at-least-once delivery.
 */
export function currentState(message: Envelope, relations: Envelope[]): Envelope {
  const ordered = [...relations].sort((a, b) => a.seq - b.seq)
  if (ordered.some((relation) => relation.type === 'delete')) return tombstoneOf(message)
  const { edited: _edited, reactions: _reactions, ...state } = message
  const result: Envelope = state
  const reactions = new Map<string, string[]>()
  for (const relation of ordered) {
    if (relation.type === 'edit') {
      result.body = relation.body
      result.edited = relation.ts
    } else if (relation.type === 'reaction' && relation.key !== undefined) {
      const users = reactions.get(relation.key) ?? []
      const has = users.includes(relation.from)
      if (relation.op === 'add' && !has) reactions.set(relation.key, [...users, relation.from])
      if (relation.op === 'remove' && has)
        reactions.set(
          relation.key,
          users.filter((user) => user !== relation.from)
        )
    }
  }
  const nonEmpty = [...reactions].filter(([, users]) => users.length > 0)
  if (nonEmpty.length > 0) result.reactions = Object.fromEntries(nonEmpty)
  return result
}

/** The stored form of a relation entry whose target is deleted: an edit loses its body too. */
export function relationAfterDelete(relation: Envelope): Envelope {
  return relation.type === 'edit' ? tombstoneOf(relation) : relation
}
