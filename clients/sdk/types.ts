/** The shapes the SDK hands over; the same as docs/protocol.md (the SDK does not import the server's schemas). */

/** A chat message as delivered and stored (SPEC §4, §4b); test/unit/sdk-shape.test.ts keeps it equal to the server's. */
export interface Envelope {
  id: string
  room: string
  seq: number
  from: string
  ts: number
  type: string
  body: string
  replyTo?: number
  attachments?: Record<string, unknown>[]
  meta?: Record<string, unknown>
  /** Relation entries (`type` `edit`, `delete`, `reaction`): the seq of the message they change. */
  target?: number
  /** Reaction entries: the reaction (e.g. an emoji) and whether it is added or removed. */
  key?: string
  op?: 'add' | 'remove'
  /** History's current state of a message: ts of its last edit. */
  edited?: number
  /** History: the message was deleted (body empty, attachments and meta gone). */
  deleted?: boolean
  /** History's current state of a message: reaction key -> users, in the order they reacted. */
  reactions?: Record<string, string[]>
}

/** What `send` takes besides a plain body; `id` is generated when absent. */
export interface OutgoingMessage {
  id?: string
  body: string
  type?: string
  replyTo?: number
  attachments?: Record<string, unknown>[]
  meta?: Record<string, unknown>
}

export interface Room {
  id: string
  name: string
  kind: 'group' | 'direct'
  members: string[]
  createdBy: string
  createdAt: number
}

export interface User {
  id: string
  displayName?: string
  createdAt?: number
}

export interface HistoryQuery {
  before?: number
  after?: number
  limit?: number
}

/** One page of `GET /v1/rooms/{id}/messages`: newest first without `after`, oldest first with it. */
export interface HistoryPage {
  messages: Envelope[]
  /** The `before` (or, with `after`, the `after`) of the following page; absent on the last. */
  next?: number
}

export interface TypingSignal {
  room: string
  from: string
  typing: boolean
  ts: number
}

export interface ReceiptSignal {
  room: string
  from: string
  seq: number
  kind: 'read' | 'delivered'
  ts: number
}

export interface PresenceUpdate {
  userId: string
  status: 'online' | 'offline'
  ts: number
}

/** `rooms/{roomId}/events`. */
export interface RoomEvent {
  type: 'member_added' | 'member_removed' | (string & {})
  room: string
  userId?: string
  by?: string
  ts?: number
}

/** `users/{userId}/inbox` (docs/protocol.md, "Inbox notices"); newer servers may add types. */
export type Notice =
  | { type: 'rejected'; id: string | null; room: string; reason: string; message: string }
  | { type: 'duplicate'; id: string; room: string; seq: number }
  | { type: 'overflow'; room: string; fromSeq: number }
  | { type: 'invited'; room: string; by: string }
  | { type: 'removed'; room: string; by: string }
  /** Your read pointer moved (from another device of yours too). */
  | { type: 'read'; room: string; seq: number }

/** `online`: connected; `reconnecting`: the connection was lost and is being retried; `closed`: after `close()`. */
export type ConnectionStatus = 'online' | 'reconnecting' | 'closed'

/** The events of `chat.on(...)`. */
export interface ChatEvents {
  /** Per joined room in seq order, each seq once, no gaps. */
  message: Envelope
  typing: TypingSignal
  receipt: ReceiptSignal
  presence: PresenceUpdate
  event: RoomEvent
  notice: Notice
  status: ConnectionStatus
  /** A failure in the background (a history fill that failed; it is retried). */
  error: Error
}
