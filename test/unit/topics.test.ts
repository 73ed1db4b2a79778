import { describe, expect, it } from 'vitest'
import {
  chatRoomOf,
  isInboxOf,
  isSystemTopic,
  matchesFilter,
  parseTopic,
  ROOM_CHANNELS,
  roomChannelOf,
  roomIdOf,
  roomOfFilter,
  topicKindOf
} from '../../core/topics.js'

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
    ['$SYS', { kind: 'system' }],
    // [MQTT-4.7.2-1] other $ topics are ordinary (generic) topics that wildcards do not match
    ['$TopicA/B', { kind: 'generic' }],
    ['$SYSTEM/x', { kind: 'generic' }],
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

describe('roomOfFilter', () => {
  it.each([
    ['rooms/r1/messages', 'r1'],
    ['rooms/r1/+', 'r1'],
    ['rooms/r1/#', 'r1'],
    ['rooms/r1', 'r1'],
    ['rooms/+/messages', null],
    ['rooms/#', null],
    ['rooms//messages', null],
    ['users/r1/inbox', null]
  ])('%s -> %s', (filter, room) => {
    expect(roomOfFilter(filter)).toBe(room)
  })
})

describe('fast matchers agree with parseTopic', () => {
  const ids = ['r1', 'a_b-C9', 'x'.repeat(64), 'x'.repeat(65), '', 'r 1', 'r+', '#', 'é']
  const tails = [...ROOM_CHANNELS, 'inbox', 'bogus', 'messages/x', '', 'messagesx', 'Messages']
  const roots = ['rooms', 'users', 'presence', '$SYS', '$mqchat', '$TopicA', 'roomsx', 'sensors', '', 'room']
  const topics = new Set<string>(['', 'rooms', 'users', 'presence', 'rooms/', 'users/', 'presence/', '$', '$SYS', '$mqchat'])
  for (const root of roots) {
    for (const id of ids) {
      topics.add(`${root}/${id}`)
      for (const tail of tails) topics.add(`${root}/${id}/${tail}`)
    }
  }

  it(`classifies ${topics.size} generated topics as parseTopic does`, () => {
    const disagreements = [...topics].filter((topic) => {
      const parsed = parseTopic(topic)
      if (topicKindOf(topic) !== parsed.kind) return true
      const channel = roomChannelOf(topic)
      if (parsed.kind === 'room') return channel !== parsed.channel || roomIdOf(topic) !== parsed.roomId
      if (channel !== null) return true
      for (const user of ['r1', 'a_b-C9', 'x'.repeat(64), 'alice']) {
        if (isInboxOf(topic, user) !== (parsed.kind === 'inbox' && parsed.userId === user)) return true
      }
      return isSystemTopic(topic) !== (parsed.kind === 'system')
    })
    expect(disagreements).toEqual([])
  })

  it.each([
    ['rooms/r1/messages', 'room', 'messages'],
    ['rooms/r1/receipts', 'room', 'receipts'],
    ['rooms/r1/messages/x', 'reserved-invalid', null],
    ['users/alice/inbox', 'inbox', null],
    ['presence/alice', 'presence', null],
    ['$TopicA/B', 'generic', null],
    ['$SYS/x', 'system', null]
  ])('%s is %s', (topic, kind, channel) => {
    expect(topicKindOf(topic)).toBe(kind)
    expect(roomChannelOf(topic)).toBe(channel)
  })
})
