import type { z } from 'zod'
import { envelopeSchema } from '../../core/envelope.js'
import { chatInputSchema, presenceSchema, receiptInputSchema, relationInputSchema, typingInputSchema } from '../../core/message.js'
import type { RoomChannel } from '../../core/topics.js'
import { inboxNoticeSchema, receiptSignalSchema, roomEventSchema, typingSignalSchema } from '../../core/wire-schemas.js'

/** A payload a client publishes (`send`) or receives (`receive`) on a topic. */
export interface PayloadDoc {
  name: string
  summary: string
  schema: z.ZodType
}

/**
 * One MQTT topic of mqchat. `publish` and `subscribe` say who may, in the words of the topic
 * table of docs/protocol.md (a test compares them); `send` is empty on server-only topics.
 */
export interface TopicDoc {
  address: string
  description: string
  publish: string
  subscribe: string
  qos: 0 | 1
  retained: boolean
  send: PayloadDoc[]
  receive: PayloadDoc
}

const ROOM_TOPICS = {
  messages: {
    address: 'rooms/{roomId}/messages',
    description: 'Chat messages. PUBACK only after the message is sequenced and durable; refusals arrive on the inbox.',
    publish: 'members',
    subscribe: 'members',
    qos: 1,
    retained: false,
    send: [
      { name: 'chatMessage', summary: 'a chat message (unknown fields dropped)', schema: chatInputSchema },
      { name: 'relation', summary: 'an edit, delete or reaction of the message at `target`', schema: relationInputSchema }
    ],
    receive: { name: 'envelope', summary: 'the sequenced envelope, gapless seq per room', schema: envelopeSchema }
  },
  events: {
    address: 'rooms/{roomId}/events',
    description: 'Room events, published by the server; publishing here is refused (`forbidden`).',
    publish: 'server only',
    send: [],
    subscribe: 'members',
    qos: 1,
    retained: false,
    receive: { name: 'roomEvent', summary: 'a membership change', schema: roomEventSchema }
  },
  typing: {
    address: 'rooms/{roomId}/typing',
    description: 'Typing indicators: stamped with `from` and `ts`, live only (never stored or queued).',
    publish: 'members',
    subscribe: 'members',
    qos: 0,
    retained: false,
    send: [{ name: 'typingInput', summary: 'typing or not', schema: typingInputSchema }],
    receive: { name: 'typingSignal', summary: 'a member types', schema: typingSignalSchema }
  },
  receipts: {
    address: 'rooms/{roomId}/receipts',
    description: 'Delivered/read pointers: stamped with `from` and `ts`, live only.',
    publish: 'members',
    subscribe: 'members',
    qos: 0,
    retained: false,
    send: [{ name: 'receiptInput', summary: 'a pointer', schema: receiptInputSchema }],
    receive: { name: 'receiptSignal', summary: 'a member’s pointer', schema: receiptSignalSchema }
  }
} as const satisfies Record<RoomChannel, TopicDoc>

/** Every topic of core/topics.ts; a room channel added there does not compile until it is described here. */
export const TOPIC_DOCS: Record<string, TopicDoc> = {
  ...Object.fromEntries(Object.entries(ROOM_TOPICS).map(([channel, doc]) => [`room${channel[0]?.toUpperCase()}${channel.slice(1)}`, doc])),
  inbox: {
    address: 'users/{userId}/inbox',
    description: 'Notices for one user; publishing here is dropped.',
    publish: 'server only',
    send: [],
    subscribe: 'that user',
    qos: 1,
    retained: false,
    receive: { name: 'inboxNotice', summary: 'a notice', schema: inboxNoticeSchema }
  },
  presence: {
    address: 'presence/{userId}',
    description: 'Online while any device of the user is connected; publishing here is dropped.',
    publish: 'server only',
    send: [],
    subscribe: 'that user and users who share a room with them',
    qos: 1,
    retained: true,
    receive: { name: 'presence', summary: 'the user’s presence', schema: presenceSchema }
  }
}
