import type { Client, PublishPacket } from 'aedes'
import { MqchatError } from '../../core/errors.js'
import { type Rejection, receiptInputSchema, typingInputSchema } from '../../core/message.js'
import { parseTopic } from '../../core/topics.js'
import { type BrokerContext, DISCARD_TOPIC } from '../context.js'
import { isWill, willAllowed } from '../will-policy.js'

/** Thrown to close the connection: a protocol violation, not a bad chat send. */
export class PublishForbidden extends Error {}

const EMPTY = Buffer.alloc(0)

/** The publish is acknowledged (QoS 1/2) but reaches no subscriber and no queue. */
function discard(packet: PublishPacket): void {
  packet.topic = DISCARD_TOPIC
  packet.payload = EMPTY
  packet.retain = false
}

/**
 * PUBLISH ACL and the chat pipeline (SPEC §3–§4). Aedes writes the PUBACK only after
 * this resolves, so a chat message is durably in the chat log before its sender hears back.
 * Bad chat sends are discarded and answered on the sender's inbox; the connection stays up.
 */
export async function authorizePublish(ctx: BrokerContext, client: Client | null, packet: PublishPacket): Promise<void> {
  // a will, also one of a crashed node (no client): checked again, whatever was stored before
  if (isWill(client, packet)) {
    if (!willAllowed(ctx.options, packet.topic)) discard(packet)
    return
  }
  if (!client) return
  const topic = parseTopic(packet.topic)
  if (topic.kind === 'system') throw new PublishForbidden(`clients may not publish to ${packet.topic}`)
  const userId = ctx.identities.get(client)?.userId ?? null
  if (topic.kind === 'generic') {
    if (!ctx.options.genericTopics) return discard(packet)
    // QoS 2: Aedes publishes before PUBREC, after its duplicate check by packet id ([MQTT-4.3.3-2])
    if (packet.qos === 2) return
    await ctx.orderedPublish.publish(client, packet)
    // published above, in the client's order and before its PUBACK
    return discard(packet)
  }
  if (userId === null || topic.kind === 'inbox' || topic.kind === 'presence') return discard(packet)
  if (topic.kind === 'reserved-invalid') {
    const original = packet.topic
    discard(packet)
    if (original.startsWith('rooms/')) await reject(ctx, userId, null, original, 'invalid_topic', 'not a chat topic')
    return
  }
  const { roomId, channel } = topic
  switch (channel) {
    case 'messages':
      return sendChat(ctx, userId, roomId, packet)
    case 'typing':
    case 'receipts':
      return relaySignal(ctx, userId, roomId, channel, packet)
    case 'events':
      discard(packet)
      return reject(ctx, userId, null, roomId, 'forbidden', 'only the server publishes room events')
    default:
      // a new room channel does not compile until it is decided here
      return channel satisfies never
  }
}

/**
 * The message is in the durable chat log when `send` resolves; every node's tail of the log
 * delivers it to subscribers in seq order and persistent sessions replay it from there, so the
 * sender's own packet is discarded and the PUBACK follows the append.
 */
async function sendChat(ctx: BrokerContext, userId: string, roomId: string, packet: PublishPacket): Promise<void> {
  const raw = packet.payload as Buffer
  discard(packet)
  try {
    const result = await ctx.pipeline.send(userId, roomId, raw)
    if (result.duplicate) ctx.notify(userId, { type: 'duplicate', id: result.envelope.id, room: roomId, seq: result.envelope.seq })
  } catch (error) {
    // storage away: no PUBACK (the connection closes, the client resends; idempotent by id).
    // A notice would travel through the Redis that is away, and a PUBACK without it reads as stored.
    if (!(error instanceof MqchatError) || error.code === 'unavailable') throw error
    // the pipeline counted this rejection already
    await notifyRejection(ctx, userId, { id: ctx.pipeline.peekId(raw), room: roomId, reason: error.code, message: error.message })
  }
}

/**
 * Typing and receipts: members only, `from`/`ts` stamped by the server, delivered live at QoS 0, never
 * queued or stored. Past the user's signal budget they are dropped silently: each one is a fan-out to the room.
 */
async function relaySignal(ctx: BrokerContext, userId: string, roomId: string, channel: 'typing' | 'receipts', packet: PublishPacket) {
  const payload = packet.payload as Buffer
  const topic = packet.topic
  discard(packet)
  const decision = await ctx.rateLimiter.consume('signal', userId)
  if (!decision.allowed) return void ctx.metrics.rejects.inc({ reason: 'rate_limited' })
  if (!ctx.directory.isMember(userId, roomId)) return
  let json: unknown
  try {
    json = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'))
  } catch {
    return
  }
  const parsed = (channel === 'typing' ? typingInputSchema : receiptInputSchema).safeParse(json)
  if (!parsed.success) return
  const signal = JSON.stringify({ ...parsed.data, room: roomId, from: userId, ts: Date.now() })
  ctx.aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(signal), qos: 0, retain: false, dup: false }, () => {})
  if ('kind' in parsed.data && parsed.data.kind === 'read') await storeReadPointer(ctx, userId, roomId, parsed.data.seq)
}

/**
 * A `read` receipt moves the sender's stored read pointer (never back) before its PUBACK; when it
 * moved, the user's devices hear the pointer on their inbox so their badges clear. A storage failure is logged: the
 * receipt was relayed, and the next one (or PUT /v1/rooms/{id}/read) stores the pointer.
 */
async function storeReadPointer(ctx: BrokerContext, userId: string, roomId: string, seq: number): Promise<void> {
  try {
    const { readSeq, moved } = await ctx.readTracker.markRead(userId, roomId, seq)
    if (moved) ctx.notify(userId, { type: 'read', room: roomId, seq: readSeq })
  } catch (err) {
    ctx.logger.warn({ err, userId, roomId }, 'read pointer not stored')
  }
}

function reject(ctx: BrokerContext, userId: string, id: string | null, room: string, reason: string, message: string): Promise<void> {
  ctx.metrics.rejects.inc({ reason })
  return notifyRejection(ctx, userId, { id, room, reason, message })
}

/**
 * Each notice is a QoS 1 publish the sender caused: past the user's notice budget one last
 * `rate_limited` notice says so, then refusals go unreported until the window ends.
 */
async function notifyRejection(ctx: BrokerContext, userId: string, rejection: Omit<Rejection, 'type'>): Promise<void> {
  const decision = await ctx.rateLimiter.consume('notice', userId)
  if (decision.allowed) return ctx.notify(userId, { type: 'rejected', ...rejection } satisfies Rejection)
  if (!decision.firstRefusal) return
  const seconds = Math.ceil(decision.retryAfterMs / 1000)
  const message = `too many refused publishes; further refusals are not reported for ${seconds} s`
  ctx.notify(userId, { type: 'rejected', id: rejection.id, room: rejection.room, reason: 'rate_limited', message } satisfies Rejection)
}
