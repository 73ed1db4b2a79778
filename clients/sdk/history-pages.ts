import { MAX_PAGE, type RestClient } from './rest.js'
import type { Envelope } from './types.js'

/** Messages with `seq > after` (and `< before` if given), oldest first, one page at a time, at most `limit` in all. */
export async function* pagesAfter(
  rest: RestClient,
  roomId: string,
  query: { after: number; before?: number; limit?: number }
): AsyncGenerator<Envelope[]> {
  let after = query.after
  let remaining = query.limit ?? Number.POSITIVE_INFINITY
  while (remaining > 0) {
    const page = await rest.history(roomId, { after, before: query.before, limit: Math.min(MAX_PAGE, remaining) })
    if (page.messages.length > 0) yield page.messages
    remaining -= page.messages.length
    if (page.next === undefined || page.messages.length === 0) return
    after = page.next
  }
}

/** The newest `limit` messages (before `before` if given), newest first, one page at a time. */
export async function* pagesBefore(
  rest: RestClient,
  roomId: string,
  query: { before?: number; limit: number }
): AsyncGenerator<Envelope[]> {
  let before = query.before
  let remaining = query.limit
  while (remaining > 0) {
    const page = await rest.history(roomId, { before, limit: Math.min(MAX_PAGE, remaining) })
    if (page.messages.length > 0) yield page.messages
    remaining -= page.messages.length
    if (page.next === undefined || page.messages.length === 0) return
    before = page.next
  }
}

/** `limit` messages in seq order (oldest to newest): after `after` if given, else the newest ones (before `before`). */
export async function collectHistory(
  rest: RestClient,
  roomId: string,
  query: { before?: number; after?: number; limit: number }
): Promise<Envelope[]> {
  const messages: Envelope[] = []
  if (query.after !== undefined) {
    for await (const page of pagesAfter(rest, roomId, { after: query.after, before: query.before, limit: query.limit }))
      messages.push(...page)
    return messages
  }
  for await (const page of pagesBefore(rest, roomId, { before: query.before, limit: query.limit })) messages.push(...page)
  return messages.reverse()
}
