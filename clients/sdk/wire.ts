import { parseTopic, topics } from '../../core/topics.js'
import type { Envelope, Notice, PresenceUpdate, ReceiptSignal, RoomEvent, TypingSignal } from './types.js'

/** Decoding of what the broker delivers (docs/protocol.md); anything that does not fit is null and ignored. */

const decoder = new TextDecoder()

export function parsePayload(payload: Uint8Array | string): Record<string, unknown> | null {
  let value: unknown
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : decoder.decode(payload))
  } catch {
    // the broker only forwards JSON on chat topics; anything else is not ours to hand over
    return null
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
}

const isSeq = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0

export function toEnvelope(value: Record<string, unknown> | null): Envelope | null {
  if (!value || typeof value.id !== 'string' || typeof value.room !== 'string' || !isSeq(value.seq)) return null
  if (typeof value.from !== 'string' || typeof value.ts !== 'number' || typeof value.body !== 'string') return null
  return value as unknown as Envelope
}

export function toTyping(room: string, value: Record<string, unknown> | null): TypingSignal | null {
  if (!value || typeof value.from !== 'string') return null
  return { room, from: value.from, typing: value.typing !== false, ts: typeof value.ts === 'number' ? value.ts : Date.now() }
}

export function toReceipt(room: string, value: Record<string, unknown> | null): ReceiptSignal | null {
  if (!value || typeof value.from !== 'string' || typeof value.seq !== 'number') return null
  const kind = value.kind === 'delivered' ? 'delivered' : 'read'
  return { room, from: value.from, seq: value.seq, kind, ts: typeof value.ts === 'number' ? value.ts : Date.now() }
}

export function toPresence(userId: string, value: Record<string, unknown> | null): PresenceUpdate | null {
  if (!value || (value.status !== 'online' && value.status !== 'offline')) return null
  return { userId, status: value.status, ts: typeof value.ts === 'number' ? value.ts : 0 }
}

export function toRoomEvent(room: string, value: Record<string, unknown> | null): RoomEvent | null {
  if (!value || typeof value.type !== 'string') return null
  return { ...value, type: value.type, room } as RoomEvent
}

export function toNotice(value: Record<string, unknown> | null): Notice | null {
  if (!value || typeof value.type !== 'string') return null
  return value as unknown as Notice
}

/** What arrived on a topic, decoded; null for anything the SDK does not hand over. */
export type Inbound =
  | { kind: 'message'; value: Envelope }
  | { kind: 'typing'; value: TypingSignal }
  | { kind: 'receipt'; value: ReceiptSignal }
  | { kind: 'presence'; value: PresenceUpdate }
  | { kind: 'event'; value: RoomEvent }
  | { kind: 'notice'; value: Notice }

export function decodeInbound(topic: string, payload: Uint8Array | string): Inbound | null {
  const target = parseTopic(topic)
  const value = parsePayload(payload)
  const tagged = <K extends Inbound['kind']>(kind: K, decoded: Extract<Inbound, { kind: K }>['value'] | null): Inbound | null =>
    decoded ? ({ kind, value: decoded } as Extract<Inbound, { kind: K }>) : null
  switch (target.kind) {
    case 'presence':
      return tagged('presence', toPresence(target.userId, value))
    case 'inbox':
      return tagged('notice', toNotice(value))
    case 'room':
      switch (target.channel) {
        case 'messages':
          return tagged('message', toEnvelope(value))
        case 'typing':
          return tagged('typing', toTyping(target.roomId, value))
        case 'receipts':
          return tagged('receipt', toReceipt(target.roomId, value))
        case 'events':
          return tagged('event', toRoomEvent(target.roomId, value))
      }
      return null
    default:
      return null
  }
}

/** The topics a joined room is followed on, with their QoS (docs/protocol.md, "Topics"). */
export function roomTopics(roomId: string): [string, 0 | 1][] {
  return [
    [topics.roomMessages(roomId), 1],
    [topics.roomEvents(roomId), 1],
    [topics.roomTyping(roomId), 0],
    [topics.roomReceipts(roomId), 0]
  ]
}

export const roomFilters = (roomId: string): Record<string, { qos: 0 | 1 }> =>
  Object.fromEntries(roomTopics(roomId).map(([topic, qos]) => [topic, { qos }]))

/** The user id (`sub`) of a JWT, read without checking it (the server checks it); undefined for API keys. */
export function tokenSubject(token: string): string | undefined {
  const part = token.split('.')[1]
  if (!part) return undefined
  try {
    const base64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=')
    const claims = JSON.parse(decoder.decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)))) as { sub?: unknown }
    return typeof claims.sub === 'string' ? claims.sub : undefined
  } catch {
    // not a JWT (e.g. a service API key): no inbox to follow
    return undefined
  }
}

/** A message id matching `[A-Za-z0-9_-]{1,64}`: 128 random bits, also where `crypto.randomUUID` is missing (plain http pages). */
export function newMessageId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** MQTT over WebSocket at `<url>/mqtt`: ws:// for http://, wss:// for https://. */
export function mqttUrlFor(httpUrl: string): string {
  const url = new URL(httpUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/mqtt`
  return url.href
}
