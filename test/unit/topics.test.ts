import { describe, expect, it } from 'vitest'
import { parseTopic } from '../../core/topics.js'

describe('parseTopic', () => {
  it.each([
    ['rooms/r1/messages', { kind: 'room', roomId: 'r1', channel: 'messages' }],
    ['rooms/r_1-x/typing', { kind: 'room', roomId: 'r_1-x', channel: 'typing' }],
    ['users/alice/inbox', { kind: 'inbox', userId: 'alice' }],
    ['presence/alice', { kind: 'presence', userId: 'alice' }],
    ['rooms/r1/bogus', { kind: 'reserved-invalid' }],
    ['rooms/r 1/messages', { kind: 'reserved-invalid' }],
    ['rooms/r1/messages/extra', { kind: 'reserved-invalid' }],
    ['users/alice/outbox', { kind: 'reserved-invalid' }],
    ['presence/alice/x', { kind: 'reserved-invalid' }],
    [`rooms/${'a'.repeat(65)}/messages`, { kind: 'reserved-invalid' }],
    ['$SYS/broker/x', { kind: 'system' }],
    ['$mqchat/discarded', { kind: 'system' }],
    ['sensors/1/temp', { kind: 'generic' }],
    ['roomsx/1', { kind: 'generic' }]
  ])('%s', (topic, expected) => {
    expect(parseTopic(topic)).toEqual(expected)
  })
})
