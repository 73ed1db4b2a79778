import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import { readSeq } from '../core/envelope.js'
import type { Logger } from '../core/logger.js'
import { chatRoomOf, matchesFilter, topics } from '../core/topics.js'
import type { ChatLog } from '../storage/chat-log/chat-log.js'
import type { SessionCursors } from '../storage/session-cursors/session-cursors.js'
import { deliverToClient, publishPacket, subscribedFilters } from './aedes/client-internals.js'
import type { UserDirectory } from './directory.js'

/** Per persistent session and room: replaying from the log (live false) or live after `last`. */
interface RoomState {
  live: boolean
  last: number
  /** Live messages that arrived while the room was replaying, delivered after it in seq order. */
  stash: AedesPublishPacket[]
}

interface SessionState {
  userId: string
  ready: boolean
  rooms: Map<string, RoomState>
}

export interface SessionReplayDeps {
  aedes: Aedes
  chatLog: ChatLog
  cursors: SessionCursors
  directory: UserDirectory
  notify(userId: string, notice: Record<string, unknown>): void
  logger: Logger
}

export interface SessionReplayOptions {
  /** Most messages replayed per room; past it the session gets an overflow notice and recovers by history. */
  limit: number
  /** Messages read from the log per round trip. */
  batchSize: number
}

/**
 * Offline delivery from the chat log (SPEC §4b, issue 3): a persistent session keeps one cursor
 * per room (the highest seq it acknowledged), not a copy of every message. On reconnect, what it
 * missed is read from the log after the cursor and delivered in seq order, exactly once, before
 * live messages for that room; past `limit` it gets one `overflow` notice instead.
 */
export class SessionReplay {
  private readonly sessions = new WeakMap<Client, SessionState>()
  private readonly replayed = new WeakSet<object>()
  private pendingAcks = new Map<string, Map<string, number>>()
  private flushScheduled = false

  constructor(
    private readonly deps: SessionReplayDeps,
    private readonly options: SessionReplayOptions
  ) {}

  /** At CONNECT, before subscriptions are restored: persistent sessions hold live chat until replayed. */
  async connected(client: Client, userId: string, nothingStored = false): Promise<void> {
    if (client.clean) {
      // cursors are kept only for persistent sessions: an id that never had one has none to clear
      if (!nothingStored) await this.deps.cursors.clear(client.id)
      return
    }
    this.sessions.set(client, { userId, ready: false, rooms: new Map() })
  }

  /** authorizeForward for chat messages: the packet to deliver now, or null (held, or already delivered). */
  forward(client: Client, packet: AedesPublishPacket, room: string): AedesPublishPacket | null {
    if (this.replayed.has(packet)) return packet
    const session = this.sessions.get(client)
    if (!session) return packet
    const seq = readSeq(packet.payload)
    let state = session.rooms.get(room)
    if (!state) {
      state = session.ready ? { live: true, last: seq - 1, stash: [] } : { live: false, last: 0, stash: [] }
      session.rooms.set(room, state)
    }
    if (!state.live) {
      state.stash.push(packet)
      return null
    }
    if (seq <= state.last) return null
    state.last = seq
    return packet
  }

  /** After CONNACK, with the session's subscriptions restored: replay every subscribed room. */
  async ready(client: Client): Promise<void> {
    const session = this.sessions.get(client)
    if (!session) return
    const subscribed = (room: string) => subscribedFilters(client).some((filter) => matchesFilter(filter, topics.roomMessages(room)))
    const cursors = await this.deps.cursors.get(client.id)
    for (const [room, cursor] of cursors) {
      if (client.closed) return
      if (!this.deps.directory.isMember(session.userId, room) || !subscribed(room)) continue
      await this.replayRoom(client, session, room, cursor)
    }
    for (const state of session.rooms.values()) if (!state.live) this.goLive(client, state, state.last)
    session.ready = true
  }

  private async replayRoom(client: Client, session: SessionState, room: string, cursor: number): Promise<void> {
    const state = session.rooms.get(room) ?? { live: false, last: cursor, stash: [] }
    session.rooms.set(room, state)
    state.last = cursor
    const newest = await this.deps.chatLog.lastSeq(room)
    if (newest - cursor > this.options.limit) return this.overflow(client, session, state, room, cursor, newest)
    for (;;) {
      const batch = await this.deps.chatLog.read(room, state.last, this.options.batchSize)
      if (batch.length === 0 || client.closed) break
      if ((batch[0]?.seq ?? 0) > state.last + 1) return this.overflow(client, session, state, room, state.last, newest)
      for (const envelope of batch) {
        await this.deliver(client, room, JSON.stringify(envelope))
        state.last = envelope.seq
      }
    }
    this.goLive(client, state, state.last)
  }

  /** Too much missed (or trimmed from the log): say so once and continue live from now. */
  private overflow(client: Client, session: SessionState, state: RoomState, room: string, cursor: number, newest: number) {
    this.deps.notify(session.userId, { type: 'overflow', room, fromSeq: cursor + 1 })
    this.deps.cursors
      .advance(client.id, new Map([[room, newest]]))
      .catch((err: unknown) => this.deps.logger.warn({ err, room }, 'cursor write failed'))
    this.goLive(client, state, newest)
  }

  private goLive(client: Client, state: RoomState, last: number): void {
    state.live = true
    state.last = last
    const held = state.stash
    state.stash = []
    for (const packet of held) {
      const seq = readSeq(packet.payload)
      if (seq <= state.last) continue
      state.last = seq
      this.replayed.add(packet)
      // held packets go out in order; each write completes on its own (errors close the connection)
      void deliverToClient(client, packet)
    }
  }

  private deliver(client: Client, room: string, payload: string): Promise<void> {
    const packet = publishPacket(this.deps.aedes, topics.roomMessages(room), Buffer.from(payload), 1)
    this.replayed.add(packet)
    return deliverToClient(client, packet)
  }

  /** New subscriptions of a persistent session start their cursors at the rooms' current seq. */
  async subscribed(client: Client, filters: string[]): Promise<void> {
    const session = this.sessions.get(client)
    if (!session) return
    const rooms = this.deps.directory
      .roomsOf(session.userId)
      .filter((room) => filters.some((filter) => matchesFilter(filter, topics.roomMessages(room))))
    if (rooms.length === 0) return
    const seqs = await Promise.all(rooms.map((room) => this.deps.chatLog.lastSeq(room)))
    await this.deps.cursors.init(client.id, new Map(rooms.map((room, i) => [room, seqs[i] as number])))
  }

  /** A PUBACK from a persistent session moves its cursor; writes are coalesced per session. */
  acked(client: Client, packet: { topic?: string; payload?: Buffer | string } | undefined): void {
    if (!packet?.topic || !packet.payload || !this.sessions.has(client)) return
    const room = chatRoomOf(packet.topic)
    if (!room) return
    const pending = this.pendingAcks.get(client.id) ?? new Map<string, number>()
    pending.set(room, Math.max(pending.get(room) ?? 0, readSeq(packet.payload)))
    this.pendingAcks.set(client.id, pending)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => void this.flush())
    }
  }

  async flush(): Promise<void> {
    this.flushScheduled = false
    const pending = this.pendingAcks
    this.pendingAcks = new Map()
    await Promise.all(
      [...pending].map(([sessionId, cursors]) =>
        this.deps.cursors
          .advance(sessionId, cursors)
          .catch((err: unknown) => this.deps.logger.warn({ err, sessionId }, 'cursor write failed'))
      )
    )
  }

  disconnected(client: Client): void {
    this.sessions.delete(client)
  }
}
