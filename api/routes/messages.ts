import { randomUUID } from 'node:crypto'
import { type Request, type Response, Router } from 'express'
import { Histogram } from 'prom-client'
import { z } from 'zod'
import { MqchatError } from '../../core/errors.js'
import { jsonShape } from '../../core/json-shape.js'
import { MESSAGE_DEPTH } from '../../core/message.js'
import { roomForMember } from '../../storage/accounts/room-access.js'
import type { ApiDeps } from '../deps.js'
import { readHistory } from '../history-reader.js'
import { currentUser, mayUseAnyRoom } from '../middleware/authenticate.js'
import { answer } from '../openapi/answer.js'
import { envelopeSchema, historyPageSchema } from '../openapi/answer-schemas.js'
import { validate } from '../validate.js'

const seq = z.coerce.number().int().nonnegative()
export const historyQuerySchema = z.object({
  before: seq.optional(),
  after: seq.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50)
})

/** A message's size, for the byte limit; a body nested too deep to serialize is refused first (issue 6, item 4). */
function bodyBytes(json: unknown): number {
  if (jsonShape(json, MESSAGE_DEPTH).depth > MESSAGE_DEPTH) {
    throw new MqchatError('invalid_message', `message: nested more than ${MESSAGE_DEPTH} levels deep`)
  }
  return Buffer.byteLength(JSON.stringify(json ?? null))
}

/**
 * /v1/rooms/{id}/messages. Without `after`: newest first, `next` is the `before` of the
 * next older page. With `after`: oldest first (catch-up), `next` is the `after` of the next page.
 */
export function messageRoutes({ accounts, history, chatLog, chat, registry }: ApiDeps): Router {
  const router = Router({ mergeParams: true })
  const historySeconds = new Histogram({
    name: 'mqchat_history_request_seconds',
    help: 'Time to answer one history page',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry]
  })

  router.get('/', async (req, res) => {
    const roomId = (req.params as { roomId: string }).roomId
    if (!mayUseAnyRoom(res.locals)) await roomForMember(accounts, roomId, currentUser(res.locals))
    const query = validate(historyQuerySchema, req.query)
    const timer = historySeconds.startTimer()
    const messages = await readHistory(history, chatLog, roomId, query)
    timer()
    const last = messages.at(-1)
    const next = messages.length === query.limit && last && (query.after !== undefined || last.seq > 1) ? last.seq : undefined
    answer(res, historyPageSchema, next === undefined ? { messages } : { messages, next })
  })

  router.post('/', async (req, res) => {
    const roomId = (req.params as { roomId: string }).roomId
    const json = req.body && typeof req.body === 'object' && !('id' in req.body) ? { ...req.body, id: randomUUID() } : req.body
    const sender = { anyRoom: mayUseAnyRoom(res.locals) }
    const result = await chat.send(currentUser(res.locals), roomId, { json, bytes: bodyBytes(json) }, sender)
    answer(res, envelopeSchema, result.envelope, result.duplicate ? 200 : 201)
  })

  /** Edits, deletes and reactions (SPEC §4b): entries of the room's stream, through the same pipeline as MQTT. */
  async function relate(req: Request, res: Response, fields: Record<string, unknown>): Promise<void> {
    const { roomId, seq: target } = req.params as { roomId: string; seq: string }
    const key = req.get('Idempotency-Key')
    const json = { ...fields, id: key ?? randomUUID(), target: Number(target) }
    const sender = { anyRoom: mayUseAnyRoom(res.locals) }
    const result = await chat.send(currentUser(res.locals), roomId, { json, bytes: bodyBytes(json) }, sender)
    answer(res, envelopeSchema, result.envelope, result.duplicate ? 200 : 201)
  }

  router.patch('/:seq', (req, res) => relate(req, res, { type: 'edit', body: validate(editBodySchema, req.body).body }))
  router.delete('/:seq', (req, res) => relate(req, res, { type: 'delete' }))
  router.put('/:seq/reactions/:key', (req, res) => relate(req, res, { type: 'reaction', key: req.params.key, op: 'add' }))
  router.delete('/:seq/reactions/:key', (req, res) => relate(req, res, { type: 'reaction', key: req.params.key, op: 'remove' }))

  return router
}

export const editBodySchema = z.object({ body: z.string() })
