import type { MqttClient } from 'mqtt'
import { topics } from '../../core/topics.js'
import { Emitter } from './emitter.js'
import { ChatError } from './errors.js'
import { pagesAfter } from './history-pages.js'
import type { RestClient } from './rest.js'
import { createRoomCursor } from './room-cursor.js'
import { Sender } from './sender.js'
import type { ChatEvents, ConnectionStatus, Envelope, HistoryPage, HistoryQuery, Notice, OutgoingMessage, Room } from './types.js'
import { decodeInbound, roomFilters, roomTopics, tokenSubject } from './wire.js'

type RoomCursor = ReturnType<typeof createRoomCursor>

/** How long a failed history fill waits before it tries again (while connected). */
const FILL_RETRY_MS = 1000
/** SUBACK return code of a refused filter ([MQTT-3.9.3-2]). */
const SUBACK_FAILURE = 128

/** A connected chat session; made by `connect()`. */
export class Chat extends Emitter<ChatEvents> {
  readonly #rooms = new Map<string, RoomCursor>()
  readonly #sender: Sender
  readonly #reads = new Map<string, number>()
  #status: ConnectionStatus = 'online'

  /** @internal use `connect()` */
  constructor(
    readonly client: MqttClient,
    /** The REST API with this session's token (rooms, members, history, REST sends). */
    readonly rest: RestClient,
    /** The user id of the token; undefined for a service API key. */
    readonly userId: string | undefined
  ) {
    super()
    this.#sender = new Sender({
      client,
      rest,
      userId,
      isJoined: (roomId) => this.#rooms.has(roomId),
      subscribe: (filters) => this.#subscribe(filters),
      onError: (error) => this.emit('error', error)
    })
    client.on('message', (topic, payload) => this.#onMessage(topic, payload))
    client.on('connect', () => void this.#onReconnect())
    client.on('offline', () => this.#setStatus('reconnecting'))
    client.on('close', () => this.#setStatus('reconnecting'))
    client.on('error', (error: Error & { code?: unknown }) => {
      const code = error.code === 4 || error.code === 5 ? 'unauthenticated' : 'mqtt'
      this.emit('error', new ChatError(code, error.message))
    })
  }

  get status(): ConnectionStatus {
    return this.#status
  }

  /** Follows a room: with `after`, replays `after + 1 …` from history first, then live messages, each seq once. */
  async join(roomId: string, { after }: { after?: number } = {}): Promise<void> {
    if (this.#closed() || this.#rooms.has(roomId)) return
    // also the membership check: a room that is not yours is 404 unknown_room
    const newest = after === undefined ? ((await this.rest.history(roomId, { limit: 1 })).messages[0]?.seq ?? 0) : after
    const cursor = createRoomCursor({
      after: newest,
      pagesAfter: (from) => pagesAfter(this.rest, roomId, { after: from }),
      deliver: (message) => {
        this.emit('message', message)
        this.#sender.delivered(message)
      },
      onError: (error) => this.#fillFailed(roomId, error)
    })
    this.#rooms.set(roomId, cursor)
    try {
      if (this.client.connected) await this.#subscribeRoom(roomId)
      // subscribed first, then history: what is sent in between arrives live and is dropped by seq if already delivered
      await cursor.resync()
    } catch (error) {
      cursor.stop()
      this.#rooms.delete(roomId)
      throw error
    }
  }

  /** Stops following a room (membership is unchanged: `chat.rest.removeMember` leaves it). */
  async leave(roomId: string): Promise<void> {
    const cursor = this.#rooms.get(roomId)
    if (!cursor) return
    cursor.stop()
    this.#rooms.delete(roomId)
    if (this.client.connected) await this.client.unsubscribeAsync(roomTopics(roomId).map(([topic]) => topic))
  }

  /**
   * Sends a message; resolves with its envelope (its `seq`) or rejects with a `ChatError` whose `code`
   * is the server's reason. Offline, the send waits and goes out with the same id on reconnect.
   */
  send(roomId: string, message: string | OutgoingMessage): Promise<Envelope> {
    if (this.#closed()) return Promise.reject(new ChatError('closed', 'the chat is closed'))
    return this.#sender.send(roomId, message)
  }

  /** Tells the room's members that you are typing (live only, dropped while offline). */
  typing(roomId: string, typing = true): void {
    if (this.client.connected) this.client.publish(topics.roomTyping(roomId), JSON.stringify({ typing }), { qos: 0 })
  }

  /** Moves your read pointer in a room (published now, or on reconnect if offline). */
  markRead(roomId: string, seq: number): void {
    this.#reads.set(roomId, Math.max(seq, this.#reads.get(roomId) ?? 0))
    if (this.client.connected) this.#flushReads()
  }

  /**
   * Uses a fresh token (from `login`) for REST and for the next MQTT connection. The server closes a
   * connection whose token expires or is revoked and refuses the old token (`error` event, code
   * `unauthenticated`); this connects again at once, then fills what was missed as after any reconnect.
   */
  setToken(token: string): void {
    const subject = tokenSubject(token)
    if (this.userId !== undefined && subject !== this.userId) throw new ChatError('invalid_token', 'the token is for another user')
    this.rest.setToken(token)
    this.client.options.password = token
    if (!this.client.connected && !this.#closed()) this.client.reconnect()
  }

  /** One page of history: newest first, or with `after` oldest first from `after + 1`. */
  history(roomId: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    return this.rest.history(roomId, query)
  }

  /** Every room you are in (all pages). */
  rooms(): Promise<Room[]> {
    return this.rest.rooms()
  }

  /** Disconnects; waiting sends reject with code `closed`. */
  async close(): Promise<void> {
    if (this.#closed()) return
    this.#setStatus('closed')
    for (const cursor of this.#rooms.values()) cursor.stop()
    this.#rooms.clear()
    this.#sender.rejectAll(new ChatError('closed', 'the chat was closed before the send was confirmed'))
    await this.client.endAsync()
  }

  /** Subscribes the inbox and presence; run once by `connect()` and after every reconnect. */
  async subscribeSession(): Promise<void> {
    const filters: Record<string, { qos: 0 | 1 }> = { 'presence/+': { qos: 1 } }
    if (this.userId) filters[topics.inbox(this.userId)] = { qos: 1 }
    await this.client.subscribeAsync(filters)
  }

  #closed(): boolean {
    return this.#status === 'closed'
  }

  #setStatus(status: ConnectionStatus): void {
    if (this.#status === status || this.#status === 'closed') return
    this.#status = status
    this.emit('status', status)
  }

  async #subscribeRoom(roomId: string): Promise<void> {
    if (!(await this.#subscribe(roomFilters(roomId)))) throw new ChatError('unknown_room', `unknown_room: ${roomId}`)
  }

  /** False when the broker refused a filter (SUBACK 0x80, which mqtt.js turns into an error with that code). */
  async #subscribe(filters: Record<string, { qos: 0 | 1 }>): Promise<boolean> {
    try {
      await this.client.subscribeAsync(filters)
      return true
    } catch (error) {
      if ((error as { code?: unknown }).code === SUBACK_FAILURE) return false
      throw error
    }
  }

  async #onReconnect(): Promise<void> {
    if (this.#closed() || this.#status === 'online') return
    try {
      await this.subscribeSession()
      for (const roomId of [...this.#rooms.keys()]) {
        if (await this.#subscribe(roomFilters(roomId))) continue
        // removed from the room while away: stop following it
        this.#rooms.get(roomId)?.stop()
        this.#rooms.delete(roomId)
        this.emit('error', new ChatError('unknown_room', `unknown_room: ${roomId} (no longer a member)`))
      }
      await this.#sender.resubscribe()
    } catch (error) {
      // the connection went again (or a room was lost meanwhile); the next connect starts over
      this.emit('error', error as Error)
      return
    }
    this.#setStatus('online')
    this.#flushReads()
    this.#sender.republish()
    for (const [roomId, cursor] of this.#rooms) cursor.resync().catch((error) => this.#fillFailed(roomId, error))
  }

  #fillFailed(roomId: string, error: unknown): void {
    this.emit('error', error instanceof Error ? error : new ChatError('fill_failed', String(error)))
    if (error instanceof ChatError && error.code === 'unknown_room') {
      // removed from the room: its history is closed to us for good, so stop following it
      this.#rooms.get(roomId)?.stop()
      this.#rooms.delete(roomId)
      return
    }
    setTimeout(() => {
      const cursor = this.#rooms.get(roomId)
      if (cursor && this.client.connected) cursor.resync().catch((again) => this.#fillFailed(roomId, again))
    }, FILL_RETRY_MS)
  }

  /** Subscribing again delivers the retained presence of new roommates, which a live `presence/+` does not replay. */
  #refreshPresence(): void {
    if (this.client.connected) this.#subscribe({ 'presence/+': { qos: 1 } }).catch((error: Error) => this.emit('error', error))
  }

  #flushReads(): void {
    for (const [roomId, seq] of this.#reads) {
      this.client.publish(topics.roomReceipts(roomId), JSON.stringify({ seq, kind: 'read' }), { qos: 1 })
    }
    this.#reads.clear()
  }

  #onMessage(topic: string, payload: Uint8Array): void {
    const inbound = decodeInbound(topic, payload)
    switch (inbound?.kind) {
      case 'message': {
        const cursor = this.#rooms.get(inbound.value.room)
        if (cursor) void cursor.live(inbound.value)
        else this.#sender.delivered(inbound.value)
        return
      }
      case 'typing':
        if (inbound.value.from !== this.userId) this.emit('typing', inbound.value)
        return
      case 'receipt':
        this.emit('receipt', inbound.value)
        return
      case 'presence':
        this.emit('presence', inbound.value)
        return
      case 'event':
        this.emit('event', inbound.value)
        if (inbound.value.type === 'member_added') this.#refreshPresence()
        return
      case 'notice':
        this.#onNotice(inbound.value)
        return
    }
  }

  #onNotice(notice: Notice): void {
    this.emit('notice', notice)
    if (notice.type === 'invited') this.#refreshPresence()
    // nothing more comes from a room you were removed from; a later join (after being added again) starts afresh
    if (notice.type === 'removed') this.leave(notice.room).catch((error: Error) => this.emit('error', error))
    this.#sender.notice(notice)
  }
}
