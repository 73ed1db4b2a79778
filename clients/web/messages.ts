import type { Envelope } from '../sdk/index.js'

/** One room's messages as the page shows them: ascending by seq, each seq once. */
export interface RoomMessages {
  list: Envelope[]
  /** A full page came back last time: there may be older messages to load. */
  hasOlder: boolean
  loadingOlder: boolean
  /** The newest page has been loaded once (live messages alone do not show a room's past). */
  loaded: boolean
  unread: number
}

export const emptyRoom = (): RoomMessages => ({ list: [], hasOlder: true, loadingOlder: false, loaded: false, unread: 0 })

/**
 * Merges envelopes into the seq-ordered list. History pages and live delivery overlap (a page fetched
 * while the same messages arrive live, a reload after a reconnect), so a seq already present is skipped.
 * Returns how many were new.
 */
export function mergeMessages(room: RoomMessages, incoming: Envelope[]): number {
  let added = 0
  for (const message of incoming) {
    const list = room.list
    const last = list[list.length - 1]
    if (!last || message.seq > last.seq) {
      list.push(message)
      added++
      continue
    }
    let low = 0
    let high = list.length
    while (low < high) {
      const mid = (low + high) >> 1
      if ((list[mid] as Envelope).seq < message.seq) low = mid + 1
      else high = mid
    }
    if (list[low]?.seq === message.seq) continue
    list.splice(low, 0, message)
    added++
  }
  return added
}
