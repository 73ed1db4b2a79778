import { buildEnvelope, encodeEnvelope, tombstoneOf } from '../../core/envelope.js'
import type { Envelope } from '../../core/message.js'
import { pad, type StringLevel } from '../level.js'
import type { AppendResult, ChatLog, ConsumerGroup, LogEntry, NewMessage, TailEntry } from './chat-log.js'
import { duplicateFor, targetDeleted, unserializable } from './duplicate.js'
import { LevelConsumerGroup } from './level-consumer-group.js'

interface Pending {
  message: NewMessage
  resolve(result: AppendResult): void
  reject(error: unknown): void
}

export interface LevelChatLogOptions {
  /** fsync each write batch: survives power loss, not only process crashes. */
  sync?: boolean
  /** Entries fetched but not acked for this long are fetched again (a consumer that gave up). */
  claimIdleMs?: number
}

/**
 * Embedded chat log on its own LevelDB. Keys:
 *   m!{room}!{seq}  -> envelope JSON      (the room's log, read by seq; a tombstone once deleted)
 *   e!{room}!{target}!{seq} -> ''        (the edits of a message, tombstoned with it)
 *   i!{room}!{id}   -> seq                (idempotency index)
 *   s!{room}        -> last seq
 *   f!{position}    -> envelope JSON      (the persisters' feed; deleted on ack)
 *   g!{group}!{pos} -> envelope JSON      (that group's feed; deleted on its ack)
 *   position        -> last feed position
 * Appends are group-committed: all appends waiting while a batch is written go
 * into the next single atomic LevelDB batch.
 */
export class LevelChatLog implements ChatLog {
  private queue: Pending[] = []
  private scheduled = false
  private flushing = false
  private readonly inflight = new Map<string, Promise<AppendResult>>()
  private readonly lastSeqs = new Map<string, number>()
  private position = 0
  private readonly persisters: LevelConsumerGroup
  /** Named groups used by this process: only they are fed, so a group no one uses any more costs nothing. */
  private readonly groups = new Map<string, LevelConsumerGroup>()
  private readonly tailListeners = new Set<(entry: TailEntry) => void>()

  private constructor(
    private readonly log: StringLevel,
    private readonly options: LevelChatLogOptions
  ) {
    this.persisters = new LevelConsumerGroup(log, 'f!', this.claimIdleMs)
  }

  private get claimIdleMs(): number {
    return this.options.claimIdleMs ?? 30_000
  }

  static async open(db: StringLevel, options: LevelChatLogOptions = {}): Promise<LevelChatLog> {
    const chatLog = new LevelChatLog(db, options)
    chatLog.position = Number((await chatLog.log.get('position')) ?? 0)
    await chatLog.persisters.load()
    return chatLog
  }

  append(message: NewMessage): Promise<AppendResult> {
    const key = `${message.room}!${message.id}`
    const running = this.inflight.get(key)
    // the same id in flight: the same sender's retry shares its result; another sender's is refused.
    // If the first one failed, this one is appended on its own (after the first left `inflight`).
    if (running)
      return running.then(
        (result) => duplicateFor(message, result),
        () => this.append(message)
      )
    const promise = new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ message, resolve, reject })
      this.schedule()
    })
    this.inflight.set(key, promise)
    const forget = () => this.inflight.delete(key)
    promise.then(forget, forget)
    return promise
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return
    this.scheduled = true
    setImmediate(() => void this.flush())
  }

  private async flush(): Promise<void> {
    this.scheduled = false
    this.flushing = true
    const batch = this.queue
    this.queue = []
    const touched = new Set<string>()
    const feeds = [this.persisters, ...this.groups.values()]
    try {
      const known = await this.log.getMany(batch.map(({ message }) => `i!${message.room}!${message.id}`))
      await this.loadLastSeqs(batch.map(({ message }) => message.room))
      const ops: { type: 'put'; key: string; value: string }[] = []
      const outcomes: Outcome[] = []
      const ts = Date.now()
      /** Targets deleted earlier in this batch: `{room}!{seq}`. */
      const deleted = new Set<string>()
      for (const [index, { message }] of batch.entries()) {
        const previous = known[index]
        if (previous !== undefined) {
          outcomes.push({ known: Number(previous) })
          continue
        }
        if (message.target !== undefined && (await this.isDeleted(message.room, message.target, deleted))) {
          outcomes.push({ failed: targetDeleted(message) })
          continue
        }
        const seq = (this.lastSeqs.get(message.room) ?? 0) + 1
        const envelope = buildEnvelope(message, seq, ts)
        const payload = serialize(envelope)
        // one message that cannot be stored fails alone, before it takes a seq: never its batch
        if (payload instanceof Error) {
          outcomes.push({ failed: payload })
          continue
        }
        this.lastSeqs.set(message.room, seq)
        touched.add(message.room)
        this.position += 1
        ops.push(
          { type: 'put', key: `m!${message.room}!${pad(seq)}`, value: payload },
          { type: 'put', key: `i!${message.room}!${message.id}`, value: String(seq) },
          ...feeds.map((feed) => ({ type: 'put' as const, key: feed.key(this.position), value: payload }))
        )
        if (message.type === 'delete') deleted.add(`${message.room}!${message.target}`)
        if (message.type === 'edit' && message.target !== undefined) {
          ops.push({ type: 'put', key: editKey(message.room, message.target, seq), value: '' })
        }
        outcomes.push({ appended: { envelope, payload, duplicate: false } })
      }
      ops.push(...(await this.tombstones(outcomes, ops)))
      for (const room of touched) ops.push({ type: 'put', key: `s!${room}`, value: String(this.lastSeqs.get(room)) })
      ops.push({ type: 'put', key: 'position', value: String(this.position) })
      if (touched.size > 0) await this.log.batch(ops, { sync: this.options.sync ?? false })
      const appended = outcomes.flatMap((outcome) => ('appended' in outcome ? [outcome.appended] : []))
      for (const feed of feeds) feed.appended(appended.length)
      const firsts = await this.loadKnown(batch, outcomes)
      for (const [index, pending] of batch.entries()) {
        const outcome = outcomes[index] as Outcome
        if ('failed' in outcome) pending.reject(outcome.failed)
        else if ('appended' in outcome) pending.resolve(outcome.appended)
        else settle(pending, firsts.get(index) as AppendResult)
      }
      if (touched.size > 0) for (const result of appended) this.emitTail(result)
    } catch (error) {
      for (const room of touched) this.lastSeqs.delete(room)
      for (const pending of batch) pending.reject(error)
    } finally {
      this.flushing = false
      if (this.queue.length > 0) this.schedule()
    }
  }

  /** Whether a relation's target is tombstoned, in the log or by a delete earlier in this batch (races the pipeline's check). */
  private async isDeleted(room: string, target: number, deletedInBatch: Set<string>): Promise<boolean> {
    if (deletedInBatch.has(`${room}!${target}`)) return true
    const stored = await this.log.get(`m!${room}!${pad(target)}`)
    return stored !== undefined && (JSON.parse(stored) as Envelope).deleted === true
  }

  /**
   * A delete replaces its target's entry and the target's edits by tombstones in the same batch
   * (SPEC §4b), so reads and session replays never return the original body again. Edits of the
   * target are found by the `e!` index, also those appended earlier in this batch.
   */
  private async tombstones(
    outcomes: Outcome[],
    ops: { key: string; value: string }[]
  ): Promise<{ type: 'put'; key: string; value: string }[]> {
    const deletes = outcomes.flatMap((o) => ('appended' in o && o.appended.envelope.type === 'delete' ? [o.appended.envelope] : []))
    if (deletes.length === 0) return []
    const inBatch = new Map(ops.map((op) => [op.key, op.value]))
    const puts: { type: 'put'; key: string; value: string }[] = []
    for (const { room, target } of deletes) {
      if (target === undefined) continue
      const prefix = `e!${room}!${pad(target)}!`
      const editSeqs = new Set((await this.log.keys({ gt: prefix, lt: `${prefix}~` }).all()).map((key) => key.slice(prefix.length)))
      for (const key of inBatch.keys()) if (key.startsWith(prefix)) editSeqs.add(key.slice(prefix.length))
      for (const seq of [pad(target), ...editSeqs]) {
        const key = `m!${room}!${seq}`
        const stored = inBatch.get(key) ?? (await this.log.get(key))
        if (stored === undefined) continue
        const value = encodeEnvelope(tombstoneOf(JSON.parse(stored) as Envelope))
        inBatch.set(key, value)
        puts.push({ type: 'put', key, value })
      }
    }
    return puts
  }

  private emitTail({ envelope, payload }: AppendResult): void {
    for (const listener of this.tailListeners) listener({ envelope, payload })
  }

  async tail(listener: (entry: TailEntry) => void): Promise<() => void> {
    this.tailListeners.add(listener)
    return () => this.tailListeners.delete(listener)
  }

  /** One process: every append is already local, so every room is followed. */
  async follow(_room: string): Promise<void> {}

  unfollow(_room: string): void {}

  private async loadLastSeqs(rooms: string[]): Promise<void> {
    const missing = [...new Set(rooms)].filter((room) => !this.lastSeqs.has(room))
    if (missing.length === 0) return
    const values = await this.log.getMany(missing.map((room) => `s!${room}`))
    for (const [index, room] of missing.entries()) this.lastSeqs.set(room, Number(values[index] ?? 0))
  }

  /** The first envelopes of the ids of the batch that were appended before. */
  private async loadKnown(batch: Pending[], outcomes: Outcome[]): Promise<Map<number, AppendResult>> {
    const found = new Map<number, AppendResult>()
    const indexes = outcomes.flatMap((outcome, index) => ('known' in outcome ? [index] : []))
    if (indexes.length === 0) return found
    const keys = indexes.map((index) => `m!${batch[index]?.message.room}!${pad((outcomes[index] as { known: number }).known)}`)
    const payloads = await this.log.getMany(keys)
    for (const [n, index] of indexes.entries()) {
      const payload = payloads[n] as string
      found.set(index, { envelope: JSON.parse(payload) as Envelope, payload, duplicate: true })
    }
    return found
  }

  async read(room: string, afterSeq: number, limit: number): Promise<Envelope[]> {
    const values = await this.log.values({ gt: `m!${room}!${pad(afterSeq)}`, lt: `m!${room}!~`, limit }).all()
    return values.map((value) => JSON.parse(value) as Envelope)
  }

  async lastSeq(room: string): Promise<number> {
    await this.loadLastSeqs([room])
    return this.lastSeqs.get(room) ?? 0
  }

  group(name: string): ConsumerGroup {
    let group = this.groups.get(name)
    if (!group) {
      // fed from the next batch on; what it left unacked before a restart is still on disk and fetched first
      group = new LevelConsumerGroup(this.log, `g!${name}!`, this.claimIdleMs)
      this.groups.set(name, group)
    }
    return group
  }

  fetch(consumer: string, count: number, blockMs: number, signal?: AbortSignal): Promise<LogEntry[]> {
    return this.persisters.fetch(consumer, count, blockMs, signal)
  }

  ack(positions: string[]): Promise<void> {
    return this.persisters.ack(positions)
  }

  backlog(): Promise<number> {
    return this.persisters.backlog()
  }

  pendingCount(): Promise<number> {
    return this.persisters.pendingCount()
  }

  async close(): Promise<void> {
    while (this.flushing || this.scheduled || this.queue.length > 0) await new Promise((r) => setImmediate(r))
    for (const feed of [this.persisters, ...this.groups.values()]) feed.wake()
  }
}

/** What became of one message of a batch. */
type Outcome = { appended: AppendResult } | { known: number } | { failed: Error }

function serialize(envelope: Envelope): string | Error {
  try {
    return encodeEnvelope(envelope)
  } catch (error) {
    return unserializable(error)
  }
}

/** Resolves a repeated id with its first envelope, or refuses it when someone else sent that id. */
function settle(pending: Pending, first: AppendResult): void {
  try {
    pending.resolve(duplicateFor(pending.message, first))
  } catch (error) {
    pending.reject(error)
  }
}

const editKey = (room: string, target: number, seq: number) => `e!${room}!${pad(target)}!${pad(seq)}`
