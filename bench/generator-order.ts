/** What the tracked subscribers of one generator process saw, for S1-offline's once-in-order check. */
export interface OrderResult {
  /** Distinct messages received (each message counted once per subscriber). */
  distinct: number
  /** A message a subscriber had already received, sent again without the DUP flag. */
  duplicates: number
  /** A message a subscriber had already received, sent again with the DUP flag (an MQTT retransmission). */
  redelivered: number
  /** A message older than one the subscriber already had from the same publisher, or a seq below the room's last one seen. */
  outOfOrder: number
}

const ID = Buffer.from('"id":"')
const SEQ = Buffer.from('"seq":')

/** The `"id"` of a payload, read without parsing the JSON (the first one: the message's own). */
function idOf(payload: Buffer): string | null {
  const at = payload.indexOf(ID)
  if (at < 0) return null
  const end = payload.indexOf(0x22, at + ID.length)
  return end < 0 ? null : payload.toString('latin1', at + ID.length, end)
}

/** The room `"seq"` mqchat adds to what it delivers; null on a broker without one (Mosquitto). */
function seqOf(payload: Buffer): number | null {
  const at = payload.indexOf(SEQ)
  if (at < 0) return null
  let value = 0
  let digits = 0
  for (let index = at + SEQ.length; index < payload.length; index++) {
    const digit = (payload[index] ?? 0) - 48
    if (digit < 0 || digit > 9) break
    value = value * 10 + digit
    digits++
  }
  return digits > 0 ? value : null
}

/**
 * Per subscriber: every message id seen, the last message number per publisher (ids end in
 * `-<publisher>-<n>`, n counting up) and the last room seq. A subscriber keeps its tracker across
 * reconnects, so what a persistent session replays is checked against what it had before.
 */
export class OrderTracker {
  private readonly seen = new Map<string, Set<string>>()
  private readonly lastN = new Map<string, Map<string, number>>()
  private readonly lastSeq = new Map<string, number>()
  private result: OrderResult = { distinct: 0, duplicates: 0, redelivered: 0, outOfOrder: 0 }

  record(subscriber: string, payload: Buffer, dup: boolean): void {
    const id = idOf(payload)
    if (id === null) return
    const seen = this.seen.get(subscriber) ?? new Set<string>()
    this.seen.set(subscriber, seen)
    if (seen.has(id)) {
      if (dup) this.result.redelivered++
      else this.result.duplicates++
      return
    }
    seen.add(id)
    this.result.distinct++
    const cut = id.lastIndexOf('-')
    const publisher = id.slice(0, cut)
    const n = Number(id.slice(cut + 1))
    const perPublisher = this.lastN.get(subscriber) ?? new Map<string, number>()
    this.lastN.set(subscriber, perPublisher)
    const seq = seqOf(payload)
    const lastSeq = this.lastSeq.get(subscriber) ?? 0
    if (n < (perPublisher.get(publisher) ?? 0) || (seq !== null && seq <= lastSeq)) this.result.outOfOrder++
    perPublisher.set(publisher, Math.max(n, perPublisher.get(publisher) ?? 0))
    if (seq !== null) this.lastSeq.set(subscriber, Math.max(seq, lastSeq))
  }

  results(): OrderResult {
    return { ...this.result }
  }

  clear(): void {
    this.seen.clear()
    this.lastN.clear()
    this.lastSeq.clear()
    this.result = { distinct: 0, duplicates: 0, redelivered: 0, outOfOrder: 0 }
  }
}
