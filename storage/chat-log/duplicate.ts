import { MqchatError } from '../../core/errors.js'
import type { AppendResult, NewMessage } from './chat-log.js'

/** The refusal of a message whose `(room, id)` another sender took first (issue 6, item 9). */
export function idTaken(message: NewMessage): MqchatError {
  return new MqchatError('id_taken', `message id ${message.id} is already taken in room ${message.room}; choose another id`)
}

/**
 * The answer to an append whose `(room, id)` is already taken by `first`: the same sender's retry
 * gets the first envelope again; another sender's message is refused, never answered with
 * someone else's message.
 */
export function duplicateFor(message: NewMessage, first: AppendResult): AppendResult {
  if (first.envelope.from !== message.from) throw idTaken(message)
  return { ...first, duplicate: true }
}

/** A message the log cannot serialize fails alone, as the sender's fault, not as an outage. */
export function unserializable(error: unknown): MqchatError {
  return new MqchatError('invalid_message', 'the message cannot be serialized', error)
}

/** A relation whose target the log has already tombstoned (an edit or reaction racing its target's delete). */
export function targetDeleted(message: NewMessage): MqchatError {
  return new MqchatError('bad_target', `message ${message.target} is deleted`)
}
