import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Chat, ChatError, connect, login, register } from '../../clients/sdk/index.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { eventually } from '../helpers/mqtt.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import { range, record, seqsOf } from './sdk-helpers.js'

describe('SDK against a live mqchat dev node', () => {
  let node: TestNode
  let proxy: TcpProxy
  const users: Record<string, { id: string; token: string }> = {}
  const chats: Chat[] = []

  beforeAll(async () => {
    node = await startTestNode()
    proxy = await startTcpProxy({ host: '127.0.0.1', port: node.mqttPort })
    for (const name of ['alice', 'bob', 'mallory']) {
      const answer = await register({ url: node.httpUrl, username: name, password: 'correct horse battery' })
      users[name] = { id: answer.user.id, token: answer.token }
    }
  })
  afterEach(async () => {
    await Promise.all(chats.splice(0).map((chat) => chat.close()))
  })
  afterAll(async () => {
    await proxy.close()
    await node.destroy()
  })

  const open = async (name: string, mqttUrl?: string) => {
    const chat = await connect({ url: node.httpUrl, token: users[name]!.token, ...(mqttUrl ? { mqttUrl } : {}) })
    chats.push(chat)
    return chat
  }

  it('join with after replays history, then live messages in seq order; send resolves with the seq', async () => {
    const alice = await open('alice')
    const room = await alice.rest.createRoom({ name: 'replay', members: ['bob'] })
    for (const body of ['one', 'two', 'three']) await alice.rest.sendMessage(room.id, { body })

    const bob = await open('bob', node.mqttUrl)
    const atBob = record(bob, 'message')
    await bob.join(room.id, { after: 1 })
    expect(seqsOf(atBob.seen, room.id)).toEqual([2, 3])

    await alice.join(room.id)
    const sent = await alice.send(room.id, 'four')
    expect(sent).toMatchObject({ room: room.id, seq: 4, from: 'alice', body: 'four', type: 'text' })
    const reply = await bob.send(room.id, { body: 'five', meta: { mood: 'fine' } })
    expect(reply).toMatchObject({ seq: 5, from: 'bob', meta: { mood: 'fine' } })

    await atBob.waitFor(4)
    expect(atBob.seen.map((m) => [m.seq, m.body])).toEqual([
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
      [5, 'five']
    ])
    expect(await alice.rooms()).toEqual([expect.objectContaining({ id: room.id, name: 'replay' })])
    const page = await alice.history(room.id, { after: 3, limit: 10 })
    expect(page.messages.map((m) => m.seq)).toEqual([4, 5])
  })

  it('rejects sends with the server reason as err.code: unknown_room, invalid_message, id_taken', async () => {
    const alice = await open('alice')
    const bob = await open('bob')
    const mallory = await open('mallory')
    const room = await alice.rest.createRoom({ name: 'codes', members: ['bob'] })
    await alice.join(room.id)
    await bob.join(room.id)

    const refused = (promise: Promise<unknown>) =>
      promise.then(
        () => 'sent',
        (error: unknown) => (error instanceof ChatError ? error.code : String(error))
      )
    // a stranger: the send and the join both fail as for a room that does not exist
    expect(await refused(mallory.send(room.id, 'let me in'))).toBe('unknown_room')
    expect(await refused(mallory.join(room.id))).toBe('unknown_room')
    expect(await refused(mallory.send('no-such-room', 'hello?'))).toBe('unknown_room')
    // meta nested deeper than 8 levels (docs/protocol.md)
    let deep: Record<string, unknown> = { end: true }
    for (let i = 0; i < 10; i++) deep = { deeper: deep }
    expect(await refused(alice.send(room.id, { body: 'deep', meta: deep }))).toBe('invalid_message')
    expect(await refused(alice.send(room.id, { id: 'not an id!', body: 'x' }))).toBe('invalid_message')
    // another sender's id in the same room
    const first = await alice.send(room.id, { id: 'alice-owned', body: 'mine' })
    expect(await refused(bob.send(room.id, { id: 'alice-owned', body: 'mine now' }))).toBe('id_taken')
    // the owner's repeat is the same envelope, not an error
    expect(await alice.send(room.id, { id: 'alice-owned', body: 'mine' })).toEqual(first)
    const stored = await alice.history(room.id, { after: 0 })
    expect(stored.messages.map((m) => m.id)).toEqual(['alice-owned'])
  })

  it('a flood of refused sends past the notice limit still settles every send (over REST once the notices stop)', async () => {
    const alice = await open('alice')
    const mallory = await open('mallory')
    const room = await alice.rest.createRoom({ name: 'flooded' })
    const notices = record(mallory, 'notice')
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => mallory.send(room.id, `knock ${i}`)))
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as ChatError).code : 'sent'))
    expect(new Set(codes)).toEqual(new Set(['unknown_room', 'rate_limited']))
    // the server sent fewer rejection notices than there were sends (MQCHAT_RATE_LIMIT_NOTICES): the rest came from REST
    expect(notices.seen.filter((n) => n.type === 'rejected').length).toBeLessThan(40)
    expect((await alice.history(room.id, { after: 0 })).messages).toEqual([])
  })

  it('rejects with rate_limited past the send limit', async () => {
    const limited = await startTestNode({ MQCHAT_RATE_LIMIT_PER_SECOND: '0.05', MQCHAT_RATE_LIMIT_BURST: '2' })
    try {
      const { token } = await register({ url: limited.httpUrl, username: 'eve', password: 'correct horse battery' })
      const chat = await connect({ url: limited.httpUrl, token })
      try {
        const room = await chat.rest.createRoom({ name: 'limited' })
        await chat.join(room.id)
        const results = await Promise.allSettled([1, 2, 3].map((n) => chat.send(room.id, `n${n}`)))
        const codes = results.map((r) => (r.status === 'fulfilled' ? r.value.seq : (r.reason as ChatError).code))
        expect(codes).toEqual([1, 2, 'rate_limited'])
      } finally {
        await chat.close()
      }
    } finally {
      await limited.destroy()
    }
  })

  it('after a network cut: every missed message once, in order, and offline sends resent once with their ids', async () => {
    const alice = await open('alice', `mqtt://127.0.0.1:${proxy.port}`)
    const bob = await open('bob')
    const room = await bob.rest.createRoom({ name: 'cut', members: ['alice'] })
    const atAlice = record(alice, 'message')
    const status = record(alice, 'status')
    await alice.join(room.id)
    await bob.join(room.id)
    await bob.send(room.id, 'before the cut')
    await atAlice.waitFor(1)

    proxy.cut()
    await status.waitFor(1)
    expect(alice.status).toBe('reconnecting')
    for (let i = 1; i <= 20; i++) await bob.send(room.id, `missed ${i}`)
    const offline = [alice.send(room.id, { id: 'offline-1', body: 'queued 1' }), alice.send(room.id, { id: 'offline-2', body: 'queued 2' })]
    proxy.resume()

    const [first, second] = await Promise.all(offline)
    expect([first!.seq, second!.seq]).toEqual([22, 23])
    await atAlice.waitFor(23)
    expect(seqsOf(atAlice.seen, room.id)).toEqual(range(1, 23))
    expect(status.seen).toEqual(['reconnecting', 'online'])
    // sequenced once each: the history holds each id once
    const stored = await bob.history(room.id, { after: 0, limit: 200 })
    expect(stored.messages.map((m) => m.seq)).toEqual(range(1, 23))
    expect(stored.messages.filter((m) => m.id.startsWith('offline-')).map((m) => m.id)).toEqual(['offline-1', 'offline-2'])
  })

  it('a live gap (a message the subscription never saw) is filled from history before later ones', async () => {
    const alice = await open('alice')
    const room = await alice.rest.createRoom({ name: 'gap', members: ['bob'] })
    const bob = await open('bob')
    const atBob = record(bob, 'message')
    await bob.join(room.id)
    await bob.leave(room.id)
    // sent while bob follows nothing: only history has them
    await alice.rest.sendMessage(room.id, { body: 'unseen 1' })
    await alice.rest.sendMessage(room.id, { body: 'unseen 2' })
    await bob.join(room.id, { after: 0 })
    await alice.rest.sendMessage(room.id, { body: 'live 3' })
    await atBob.waitFor(3)
    expect(atBob.seen.map((m) => [m.seq, m.body])).toEqual([
      [1, 'unseen 1'],
      [2, 'unseen 2'],
      [3, 'live 3']
    ])
  })

  it('connect rejects a bad token with unauthenticated and an unreachable server with unreachable', async () => {
    const forged = `${users.alice!.token.slice(0, -4)}AAAA`
    await expect(connect({ url: node.httpUrl, token: forged })).rejects.toMatchObject({ name: 'ChatError', code: 'unauthenticated' })
    await expect(connect({ url: node.httpUrl, token: forged, mqttUrl: node.mqttUrl })).rejects.toMatchObject({ code: 'unauthenticated' })
    const closed = await startTcpProxy({ host: '127.0.0.1', port: node.mqttPort })
    closed.cut()
    await expect(
      connect({ url: node.httpUrl, token: users.alice!.token, mqttUrl: `mqtt://127.0.0.1:${closed.port}` })
    ).rejects.toMatchObject({
      code: 'unreachable'
    })
    await closed.close()
  })

  it('a revoked token: the SDK reports unauthenticated, and setToken with a fresh login reconnects and fills the gap', async () => {
    const dave = await register({ url: node.httpUrl, username: 'dave', password: 'correct horse battery' })
    const chat = await connect({ url: node.httpUrl, token: dave.token })
    chats.push(chat)
    const bob = await open('bob')
    const room = await chat.rest.createRoom({ name: 'revoked', members: ['bob'] })
    const messages = record(chat, 'message')
    const errors = record(chat, 'error')
    await chat.join(room.id)
    await bob.send(room.id, 'before the logout')
    await messages.waitFor(1)

    // logging out revokes this token: the server closes the connection and refuses the token from then on
    const logout = await fetch(`${node.httpUrl}/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${dave.token}` } })
    expect(logout.status).toBe(204)
    await eventually(
      async () => errors.seen.map((error) => (error as ChatError).code),
      (codes) => codes.includes('unauthenticated')
    )
    expect(chat.status).toBe('reconnecting')
    for (let i = 1; i <= 5; i++) await bob.send(room.id, `while revoked ${i}`)

    const fresh = await login({ url: node.httpUrl, username: 'dave', password: 'correct horse battery' })
    chat.setToken(fresh.token)
    await messages.waitFor(6)
    expect(seqsOf(messages.seen, room.id)).toEqual(range(1, 6))
    expect(chat.status).toBe('online')
    expect((await chat.send(room.id, 'back')).seq).toBe(7)
    // another user's token is refused
    expect(() => chat.setToken(users.bob!.token)).toThrow(ChatError)
  })

  it('removed from a room: the SDK stops following it; added again, join replays what was missed', async () => {
    const alice = await open('alice')
    const bob = await open('bob')
    const room = await alice.rest.createRoom({ name: 'in and out', members: ['bob'] })
    const atBob = record(bob, 'message')
    const notices = record(bob, 'notice')
    await bob.join(room.id)
    await alice.send(room.id, 'first')
    await atBob.waitFor(1)
    await alice.rest.removeMember(room.id, 'bob')
    await eventually(
      async () => notices.seen.filter((n) => n.type === 'removed').length,
      (count) => count === 1
    )
    await alice.send(room.id, 'while bob is out')
    await expect(bob.send(room.id, 'still here?')).rejects.toMatchObject({ code: 'unknown_room' })
    await alice.rest.addMember(room.id, 'bob')
    await bob.join(room.id, { after: 1 })
    await alice.send(room.id, 'welcome back')
    await atBob.waitFor(3)
    expect(atBob.seen.map((m) => [m.seq, m.body])).toEqual([
      [1, 'first'],
      [2, 'while bob is out'],
      [3, 'welcome back']
    ])
  })

  it('rooms() follows the pagination of GET /v1/rooms to the last page', async () => {
    const carol = await register({ url: node.httpUrl, username: 'carol', password: 'correct horse battery' })
    const chat = await connect({ url: node.httpUrl, token: carol.token })
    chats.push(chat)
    const created = []
    for (let i = 1; i <= 5; i++) created.push((await chat.rest.createRoom({ name: `page ${i}` })).id)
    const first = await chat.rest.roomsPage({ limit: 2 })
    expect(first.rooms).toHaveLength(2)
    expect(first.next).toBeDefined()
    const paged = await chat.rest.rooms({ pageSize: 2 })
    expect(paged.map((room) => room.id)).toEqual([...created].sort())
    expect(await chat.rooms()).toEqual(paged)
  })

  it('typing, presence, read receipts, room events and inbox notices arrive as typed events', async () => {
    const alice = await open('alice')
    const { token } = await login({ url: node.httpUrl, username: 'bob', password: 'correct horse battery' })
    const room = await alice.rest.createRoom({ name: 'signals' })
    await alice.join(room.id)
    const notices = record(alice, 'notice')
    const events = record(alice, 'event')
    const typing = record(alice, 'typing')
    const receipts = record(alice, 'receipt')
    const presence = record(alice, 'presence')

    await alice.rest.addMember(room.id, 'bob')
    await events.waitFor(1)
    expect(events.seen[0]).toMatchObject({ type: 'member_added', room: room.id, userId: 'bob', by: 'alice' })

    const bob = await connect({ url: node.httpUrl, token })
    chats.push(bob)
    const bobNotices = record(bob, 'notice')
    await eventually(
      async () => presence.seen.filter((p) => p.userId === 'bob').map((p) => p.status),
      (statuses) => statuses.includes('online')
    )
    await bob.join(room.id)
    bob.typing(room.id)
    await typing.waitFor(1)
    expect(typing.seen[0]).toMatchObject({ room: room.id, from: 'bob', typing: true })
    const message = await alice.send(room.id, 'read me')
    bob.markRead(room.id, message.seq)
    await receipts.waitFor(1)
    expect(receipts.seen[0]).toMatchObject({ room: room.id, from: 'bob', seq: message.seq, kind: 'read' })

    await expect(bob.send(room.id, { id: message.id, body: 'taken' })).rejects.toMatchObject({ code: 'id_taken' })
    const ofType = (type: string) => bobNotices.seen.filter((notice) => notice.type === type)
    await eventually(
      async () => ofType('rejected'),
      (seen) => seen.length > 0
    )
    expect(ofType('rejected')).toEqual([expect.objectContaining({ room: room.id, id: message.id, reason: 'id_taken' })])
    const invite = await alice.rest.createRoom({ name: 'invite', members: ['bob'] })
    await eventually(
      async () => ofType('invited'),
      (seen) => seen.length > 0
    )
    expect(ofType('invited')).toEqual([expect.objectContaining({ room: invite.id, by: 'alice' })])
    expect(notices.seen.filter((n) => n.type === 'rejected')).toEqual([])

    await bob.close()
    await eventually(
      async () => presence.seen.filter((p) => p.userId === 'bob').at(-1)?.status,
      (status) => status === 'offline'
    )
    await expect(bob.send(room.id, 'after close')).rejects.toMatchObject({ code: 'closed' })
  })
})
