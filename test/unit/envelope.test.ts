import { describe, expect, it } from 'vitest'
import { buildEnvelope, decodeEnvelope, type EnvelopeFields, encodeEnvelope, readSeq, splitEnvelope } from '../../core/envelope.js'

const plain: EnvelopeFields = { id: 'm-1', room: 'general', from: 'alice', type: 'text', body: 'hello' }
const tricky: EnvelopeFields = {
  id: 'm_2',
  room: 'r-9',
  from: 'bob',
  type: 'text',
  // every way a "seq" can appear in a message that is not its seq
  body: '"seq":999 \\"seq\\": 5 {"seq":7} \\',
  replyTo: 3,
  attachments: [{ seq: 11, name: 'a "seq": 12' }],
  meta: { seq: 13, nested: { seq: 14 }, list: [{ seq: 15 }], 'we"ird': '\u2028é' }
}

describe('core/envelope: one codec for the chat envelope', () => {
  it('builds envelopes in one field order, optional fields last and only when set', () => {
    expect(Object.keys(buildEnvelope(plain, 1, 100))).toEqual(['id', 'room', 'seq', 'from', 'ts', 'type', 'body'])
    expect(Object.keys(buildEnvelope(tricky, 2, 100))).toEqual([
      'id',
      'room',
      'seq',
      'from',
      'ts',
      'type',
      'body',
      'replyTo',
      'attachments',
      'meta'
    ])
    // the order is the codec's, not the caller's
    const shuffled = { meta: tricky.meta, body: 'x', from: 'bob', type: 'text', room: 'r-9', id: 'm_3', ts: 5, seq: 4 }
    expect(encodeEnvelope(shuffled)).toBe(JSON.stringify(buildEnvelope(shuffled, 4, 5)))
  })

  it.each([
    ['plain', plain],
    ['tricky', tricky]
  ])('splitEnvelope around the seq is exactly encodeEnvelope (%s)', (_name, message) => {
    for (const seq of [1, 42, 9_007_199_254_740_991]) {
      const { head, tail } = splitEnvelope(message, 1_700_000_000_000)
      const envelope = buildEnvelope(message, seq, 1_700_000_000_000)
      expect(`${head}${seq}${tail}`).toBe(encodeEnvelope(envelope))
    }
  })

  it.each([
    ['plain', plain],
    ['tricky', tricky]
  ])('decodes what it encodes, and readSeq reads the same seq from text and bytes (%s)', (_name, message) => {
    const envelope = buildEnvelope(message, 4242, 1_700_000_000_000)
    const json = encodeEnvelope(envelope)
    expect(decodeEnvelope(json)).toEqual(envelope)
    expect(decodeEnvelope(Buffer.from(json))).toEqual(envelope)
    expect(readSeq(json)).toBe(4242)
    expect(readSeq(Buffer.from(json))).toBe(4242)
  })

  it.each([
    ['seq last, after nested seqs', '{"meta":{"seq":3},"attachments":[{"seq":4}],"body":"\\"seq\\":5","seq":42}', 42],
    ['whitespace around the colon', '{ "id" : "a" , "seq" : 12 }', 12],
    ['an escaped backslash ending a string', '{"body":"a\\\\","seq":8}', 8],
    ['"seq" as a value, not a key', '{"type":"seq","seq":9}', 9],
    ['no seq at all', '{"body":"x","meta":{"seq":3}}', 0],
    ['a seq that is not a number', '{"seq":"12"}', 0],
    ['not JSON', 'hello', 0],
    ['empty', '', 0]
  ])('readSeq finds only the top-level seq: %s', (_name, json, seq) => {
    expect(readSeq(json)).toBe(seq)
    expect(readSeq(Buffer.from(json))).toBe(seq)
  })

  it.each([
    ['bad JSON', '{"id":'],
    ['no seq', JSON.stringify({ id: 'a', room: 'r', from: 'u', ts: 1, type: 'text', body: 'x' })],
    ['seq as a string', JSON.stringify({ id: 'a', room: 'r', seq: '1', from: 'u', ts: 1, type: 'text', body: 'x' })],
    ['a room that is not an id', JSON.stringify({ id: 'a', room: 'r/x', seq: 1, from: 'u', ts: 1, type: 'text', body: 'x' })],
    ['a notice, not a message', JSON.stringify({ type: 'rejected', id: 'a', room: 'r', reason: 'x' })]
  ])('decodeEnvelope refuses %s', (_name, json) => {
    expect(decodeEnvelope(json)).toBe(null)
  })
})
