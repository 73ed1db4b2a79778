import { type Chat, type ChatError, type ConnectionStatus, connect, type Envelope, type Room } from '../sdk/index.js'
import { emptyRoom, mergeMessages, type RoomMessages } from './messages.js'
import type { StoredLogin } from './stored-login.js'
import { TypingUsers } from './typing-users.js'

/** A send the page shows until its envelope arrives: waiting (also while offline) or failed with a reason. */
export interface PendingSend {
  id: string
  room: string
  body: string
  ts: number
  failed?: string
}

const PAGE = 50

/**
 * Everything the page shows, kept in step with the SDK. Components read it and re-render on `subscribe`;
 * the SDK guarantees per-room seq order without gaps, `mergeMessages` keeps each seq once on screen.
 */
export class ChatSession {
  status: ConnectionStatus | 'connecting' = 'connecting'
  rooms: Room[] = []
  active: string | null = null
  error: string | null = null
  /** The server refused this login's token on a reconnect: the user has to sign in again. */
  expired = false
  readonly messages = new Map<string, RoomMessages>()
  readonly pending: PendingSend[] = []
  readonly presence = new Map<string, 'online' | 'offline'>()
  readonly typing = new TypingUsers()
  #chat: Chat | null = null
  readonly #read = new Map<string, number>()
  #refreshing: Promise<void> = Promise.resolve()
  readonly #listeners = new Set<() => void>()
  readonly #timer: ReturnType<typeof setInterval>

  constructor(readonly login: StoredLogin) {
    this.#timer = setInterval(() => {
      if (this.typing.expire()) this.#changed()
    }, 1000)
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #changed(): void {
    for (const listener of this.#listeners) listener()
  }

  /** Connects and follows every room; rejects with the SDK's ChatError (`unauthenticated` for a stale token). */
  async start(): Promise<void> {
    const chat = await connect({ url: location.origin, token: this.login.token })
    this.#chat = chat
    this.status = chat.status
    chat.on('status', (status) => {
      this.status = status
      this.#changed()
    })
    chat.on('message', (message) => this.#onMessage(message))
    chat.on('typing', (signal) => {
      if (signal.from === this.login.userId) return
      this.typing.signal(signal.room, signal.from, signal.typing)
      this.#changed()
    })
    chat.on('presence', (update) => {
      this.presence.set(update.userId, update.status)
      this.#changed()
    })
    chat.on('notice', (notice) => {
      if (notice.type === 'invited' || notice.type === 'removed') this.#refreshInBackground()
    })
    chat.on('event', (event) => {
      if (event.type === 'member_added' || event.type === 'member_removed') this.#refreshInBackground()
    })
    chat.on('error', (error) => {
      // the token was revoked (logout elsewhere, password change) or expired: retrying cannot help
      if ((error as ChatError).code === 'unauthenticated') {
        this.expired = true
        this.#changed()
        void chat.close()
      } else console.warn('mqchat:', error.message)
    })
    await this.refreshRooms()
  }

  /** Reloads the room list and follows rooms that are new to it. */
  refreshRooms(): Promise<void> {
    // one at a time: an invitation's notice and its room event arrive together, and two joins of one room would race
    const next = this.#refreshing.then(() => this.#refreshRooms())
    this.#refreshing = next.catch((error: Error) => {
      this.error = `Could not load your rooms: ${error.message}`
      this.#changed()
    })
    return next
  }

  /** The banner shows the failure (see refreshRooms); the console keeps the detail. */
  #refreshInBackground(): void {
    this.refreshRooms().then(undefined, (error: Error) => console.warn('mqchat: room list refresh failed', error))
  }

  async #refreshRooms(): Promise<void> {
    const chat = this.#need()
    const rooms = (await chat.rooms()).sort((a, b) => a.name.localeCompare(b.name))
    // listed only once followed: a message sent to a room the page shows is then either live or in its history
    for (const room of rooms) {
      const view = this.messages.get(room.id) ?? emptyRoom()
      this.messages.set(room.id, view)
      // the server's count (messages from others after your read pointer) covers what came while you were away
      const unread = (room as Room & { unread?: unknown }).unread
      if (typeof unread === 'number' && room.id !== this.active) view.unread = unread
      await chat.join(room.id)
    }
    this.rooms = rooms
    if (this.active && !this.rooms.some((room) => room.id === this.active)) this.active = null
    this.#changed()
  }

  async open(roomId: string): Promise<void> {
    this.active = roomId
    const room = this.messages.get(roomId) ?? emptyRoom()
    this.messages.set(roomId, room)
    room.unread = 0
    this.#changed()
    if (!room.loaded) await this.loadOlder(roomId)
  }

  /** Loads the page before the oldest message shown (or the newest page at first). */
  async loadOlder(roomId: string): Promise<void> {
    const room = this.messages.get(roomId)
    if (!room || room.loadingOlder || (room.loaded && !room.hasOlder)) return
    room.loadingOlder = true
    this.#changed()
    try {
      const before = room.loaded ? room.list[0]?.seq : undefined
      const page = await this.#need().history(roomId, { limit: PAGE, ...(before ? { before } : {}) })
      mergeMessages(room, [...page.messages].reverse())
      room.hasOlder = page.next !== undefined && page.messages.length > 0
      room.loaded = true
    } catch (error) {
      this.error = `Could not load history: ${(error as Error).message}`
    } finally {
      room.loadingOlder = false
      this.#changed()
    }
  }

  /** Sends (or resends, with the same id: the server sequences it once). */
  send(roomId: string, body: string, id = newId()): void {
    const existing = this.pending.find((send) => send.id === id)
    // a second click on Retry before the page re-rendered: that send is already on its way
    if (existing && !existing.failed) return
    if (existing) existing.failed = undefined
    else this.pending.push({ id, room: roomId, body, ts: Date.now() })
    this.#changed()
    this.#need()
      .send(roomId, { id, body })
      .then(
        () => this.#dropPending(id),
        (error: ChatError) => {
          const send = this.pending.find((item) => item.id === id)
          if (send) send.failed = error.code ?? error.message
          this.#changed()
        }
      )
  }

  dismissError(): void {
    this.error = null
    this.#changed()
  }

  close(): void {
    this.active = null
    this.#changed()
  }

  /** Moves the read pointer (the SDK keeps only the highest and publishes it once online). */
  markRead(roomId: string, seq: number): void {
    if (seq > (this.#read.get(roomId) ?? 0)) {
      this.#read.set(roomId, seq)
      this.#chat?.markRead(roomId, seq)
    }
  }

  typingNow(roomId: string): void {
    this.#chat?.typing(roomId)
  }

  async createRoom(input: { name: string; members: string[]; kind: 'group' | 'direct' }): Promise<Room> {
    const room = await this.#need().rest.createRoom(input)
    await this.refreshRooms()
    return room
  }

  async addMember(roomId: string, userId: string): Promise<void> {
    await this.#need().rest.addMember(roomId, userId)
    await this.refreshRooms()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#chat?.close()
  }

  #onMessage(message: Envelope): void {
    const room = this.messages.get(message.room) ?? emptyRoom()
    this.messages.set(message.room, room)
    const added = mergeMessages(room, [message])
    if (added && message.room !== this.active && message.from !== this.login.userId) room.unread += added
    this.typing.stop(message.room, message.from)
    if (message.from === this.login.userId) this.#dropPending(message.id)
    this.#changed()
  }

  #dropPending(id: string): void {
    const index = this.pending.findIndex((send) => send.id === id)
    if (index < 0) return
    this.pending.splice(index, 1)
    this.#changed()
  }

  #need(): Chat {
    if (!this.#chat) throw new Error('not connected yet')
    return this.#chat
  }
}

function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
