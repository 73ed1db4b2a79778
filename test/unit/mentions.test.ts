import { describe, expect, it } from 'vitest'
import type { Envelope } from '../../core/message.js'
import { MAX_MENTIONS, mentionsIn } from '../../storage/read-pointers/read-tracker.js'

const envelope = (body: string, type = 'text'): Envelope => ({ id: 'm1', room: 'r1', seq: 1, from: 'alice', ts: 0, type, body })

describe('mentionsIn', () => {
  const members = new Set(['alice', 'bob', 'carol', 'bob-2'])

  it('finds members named as @userId, once each, in order, never the sender', () => {
    expect(mentionsIn(envelope('@carol hi @bob, @bob and @alice'), members)).toEqual(['carol', 'bob'])
    expect(mentionsIn(envelope('(@bob-2)'), members)).toEqual(['bob-2'])
  })

  it('skips strangers, e-mail addresses and longer names that start with a member id', () => {
    expect(mentionsIn(envelope('@mallory mail@bob @bobby @@carol'), members)).toEqual(['carol'])
  })

  it('finds none in relation entries', () => {
    expect(mentionsIn(envelope('@bob', 'edit'), members)).toEqual([])
  })

  it(`stops at ${MAX_MENTIONS} per message`, () => {
    const many = Array.from({ length: MAX_MENTIONS + 5 }, (_, i) => `u${i}`)
    const found = mentionsIn(envelope(many.map((id) => `@${id}`).join(' ')), new Set(many))
    expect(found).toEqual(many.slice(0, MAX_MENTIONS))
  })
})
