import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { deliveryId, isCountable, PREVIEW_CHARS, previewOf } from '../../bridge/push/push-event.js'
import { signPush } from '../../bridge/push/signer.js'
import type { Envelope } from '../../core/message.js'

const envelope = (fields: Partial<Envelope>): Envelope => ({
  id: 'm1',
  room: 'r',
  seq: 7,
  from: 'alice',
  ts: 1,
  body: 'hi',
  type: 'text',
  ...fields
})

describe('push events', () => {
  it('counts messages, not the relation entries edit, delete and reaction', () => {
    expect(isCountable(envelope({}))).toBe(true)
    expect(isCountable(envelope({ type: 'image' }))).toBe(true)
    for (const type of ['edit', 'delete', 'reaction']) expect(isCountable(envelope({ type }))).toBe(false)
  })

  it('previews the body cut on a code point, never inside a surrogate pair', () => {
    expect(previewOf(envelope({ body: 'short' }))).toBe('short')
    const long = '😀'.repeat(PREVIEW_CHARS + 5)
    const preview = previewOf(envelope({ body: long }))
    expect(Array.from(preview)).toHaveLength(PREVIEW_CHARS)
    expect(preview.endsWith('😀…')).toBe(true)
  })

  it('names a delivery by room and seq', () => {
    expect(deliveryId({ room: 'r', seq: 7 })).toBe('r:7')
  })

  it('signs "t.body" with HMAC-SHA256 of the secret', () => {
    const header = signPush('s3cret', '{"a":1}', 1_700_000_000)
    const mac = createHmac('sha256', 's3cret').update('1700000000.{"a":1}').digest('hex')
    expect(header).toBe(`t=1700000000,v1=${mac}`)
  })
})
