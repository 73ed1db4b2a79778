import type { Chat, ChatEvents, Envelope } from '../../clients/sdk/index.js'
import { eventually } from '../helpers/mqtt.js'

/** Everything one event of a chat hands over, in order, with a wait for a count. */
export function record<K extends keyof ChatEvents>(chat: Chat, name: K) {
  const seen: ChatEvents[K][] = []
  chat.on(name, (value) => seen.push(value))
  return {
    seen,
    async waitFor(count: number, timeoutMs = 10_000): Promise<ChatEvents[K][]> {
      await eventually(
        async () => seen.length,
        (length) => length >= count,
        timeoutMs
      )
      return seen
    }
  }
}

/** The messages of one room as `seq` numbers, and whether each seq came once. */
export const seqsOf = (messages: Envelope[], room: string) => messages.filter((m) => m.room === room).map((m) => m.seq)

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
