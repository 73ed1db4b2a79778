import type { Envelope } from '../core/message.js'
import type { ChatLog } from '../storage/chat-log/chat-log.js'
import type { HistoryQuery, HistoryStore } from '../storage/history/history-store.js'

/**
 * Reads one page of history. Seqs are gapless, so the page is a known seq range; whatever the
 * persisters have not stored yet in that range (the newest messages, or a batch written out of
 * order by several workers) is read from the chat log, so `after=<last seq>` returns exactly
 * what was missed even right after a send.
 */
export async function readHistory(history: HistoryStore, chatLog: ChatLog, room: string, query: HistoryQuery): Promise<Envelope[]> {
  const newest = Math.min(await chatLog.lastSeq(room), (query.before ?? Number.POSITIVE_INFINITY) - 1)
  const ascending = query.after !== undefined
  const from = ascending ? (query.after as number) + 1 : Math.max(1, newest - query.limit + 1)
  const to = ascending ? Math.min(newest, from + query.limit - 1) : newest
  if (to < from) return []
  const stored = await history.list(room, { after: from - 1, before: to + 1, limit: query.limit })
  let page = stored
  if (stored.length < to - from + 1) {
    const bySeq = new Map(stored.map((envelope) => [envelope.seq, envelope]))
    for (const envelope of await chatLog.read(room, from - 1, to - from + 1))
      if (!bySeq.has(envelope.seq)) bySeq.set(envelope.seq, envelope)
    page = [...bySeq.values()].sort((a, b) => a.seq - b.seq)
  }
  return ascending ? page : page.reverse()
}
