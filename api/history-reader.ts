import type { Envelope } from '../core/message.js'
import type { ChatLog } from '../storage/chat-log/chat-log.js'
import type { HistoryQuery, HistoryStore } from '../storage/history/history-store.js'

/**
 * Reads history, filling from the chat log what the persister has not stored yet,
 * so that `after=<last seq>` returns exactly what was missed even right after a send.
 */
export async function readHistory(history: HistoryStore, chatLog: ChatLog, room: string, query: HistoryQuery): Promise<Envelope[]> {
  const stored = await history.list(room, query)
  const upper = query.before ?? Number.POSITIVE_INFINITY
  if (query.after !== undefined) {
    if (stored.length >= query.limit) return stored
    const from = stored.at(-1)?.seq ?? query.after
    const tail = await chatLog.read(room, from, query.limit - stored.length)
    return [...stored, ...tail.filter((e) => e.seq < upper)]
  }
  const newestStored = stored[0]?.seq ?? 0
  const lastSeq = await chatLog.lastSeq(room)
  const top = Math.min(upper - 1, lastSeq)
  if (top <= newestStored) return stored
  const floor = Math.max(newestStored, top - query.limit)
  const unpersisted = (await chatLog.read(room, floor, top - floor)).reverse()
  return [...unpersisted, ...stored].slice(0, query.limit)
}
