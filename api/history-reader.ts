import type { Envelope } from '../core/message.js'
import type { ChatLog } from '../storage/chat-log/chat-log.js'
import type { HistoryQuery, HistoryStore } from '../storage/history/history-store.js'

/**
 * Reads one page of history. Seqs are gapless, so the page is a known seq range; whatever the
 * persisters have not stored yet in that range (the newest messages, or a batch written out of
 * order by several workers) is read from the chat log, so `after=<last seq>` returns exactly
 * what was missed even right after a send. The log is read beside history (not after it) also
 * because a delete tombstones the log's entries at once, while history purges them only when the
 * persister gets there: a tombstone in the log wins, so a deleted body is never answered (SPEC §4b).
 */
export async function readHistory(history: HistoryStore, chatLog: ChatLog, room: string, query: HistoryQuery): Promise<Envelope[]> {
  const newest = Math.min(await chatLog.lastSeq(room), (query.before ?? Number.POSITIVE_INFINITY) - 1)
  const ascending = query.after !== undefined
  const from = ascending ? (query.after as number) + 1 : Math.max(1, newest - query.limit + 1)
  const to = ascending ? Math.min(newest, from + query.limit - 1) : newest
  if (to < from) return []
  const [stored, logged] = await Promise.all([
    history.list(room, { after: from - 1, before: to + 1, limit: query.limit }),
    chatLog.read(room, from - 1, to - from + 1)
  ])
  const bySeq = new Map(stored.map((envelope) => [envelope.seq, envelope]))
  for (const envelope of logged) if (!bySeq.has(envelope.seq) || isTombstone(envelope)) bySeq.set(envelope.seq, envelope)
  const page = [...bySeq.values()].sort((a, b) => a.seq - b.seq)
  return ascending ? page : page.reverse()
}

/** A deleted message, or an edit of one, as the chat log keeps it. */
const isTombstone = (envelope: Envelope) => envelope.deleted === true || (envelope.type === 'edit' && envelope.body === '')
