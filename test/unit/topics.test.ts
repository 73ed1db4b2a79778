import { describe, expect, it } from 'vitest'
import { chatRoomOf, matchesFilter, parseTopic } from '../../core/topics.js'

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

describe('matchesFilter', () => {
  it.each([
    ['rooms/+/messages', 'rooms/r1/messages', true],
    ['rooms/#', 'rooms/r1/messages', true],
    ['#', 'rooms/r1/messages', true],
    ['rooms/r1/+', 'rooms/r1/typing', true],
    ['rooms/r2/messages', 'rooms/r1/messages', false],
    ['rooms/+', 'rooms/r1/messages', false],
    ['rooms/+/messages/x', 'rooms/r1/messages', false]
  ])('%s ~ %s: %s', (filter, topic, expected) => {
    expect(matchesFilter(filter, topic)).toBe(expected)
  })
})

describe('chatRoomOf', () => {
  it.each([
    ['rooms/r1/messages', 'r1'],
    ['rooms/+/messages', '+'],
    ['rooms/r1/typing', null],
    ['rooms//messages', null],
    ['rooms/a/b/messages', null],
    ['users/a/inbox', null]
  ])('%s -> %s', (topic, room) => {
    expect(chatRoomOf(topic)).toBe(room)
  })
})
