import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

type Rest = ReturnType<typeof restClient>
type Login = { id: string; token: string }

const CHAT_BURST = 20
const NOTICES = 10
const SIGNALS = 50
const INVITES = 5
const ROOMS = 4

describe('rate limits on every publish kind and on rooms (issue 6, item 6)', () => {
  let node: TestNode
  let rest: Rest
  const clients: TestClient[] = []
  const connect = async (token: string) => {
    const client = await connectClient(node.mqttUrl, token)
    clients.push(client)
    return client
  }

  beforeAll(async () => {
    node = await startTestNode({
      // a window of 20 sends per 20 s
      MQCHAT_RATE_LIMIT_PER_SECOND: '1',
      MQCHAT_RATE_LIMIT_BURST: String(CHAT_BURST),
      MQCHAT_RATE_LIMIT_NOTICES: String(NOTICES),
      MQCHAT_RATE_LIMIT_SIGNALS: String(SIGNALS),
      MQCHAT_RATE_LIMIT_INVITES: String(INVITES),
      MQCHAT_RATE_LIMIT_ROOMS: String(ROOMS)
    })
    rest = restClient(node.httpUrl)
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()))
    await node.destroy()
  })

  it('1,000 invalid sends: a bounded number of notices, the last says rate_limited, and the sender is rate limited', async () => {
    const mallory = await rest.register('mallory')
    const watcher = await rest.register('watcher1')
    const room = await rest.createRoom(mallory.token, 'flooded', [watcher.id])
    const inbox = `users/${mallory.id}/inbox`
    const client = await connect(mallory.token)
    await client.client.subscribeAsync(inbox, { qos: 1 })

    const sends = Array.from({ length: 1000 }, () => client.client.publishAsync(`rooms/${room.id}/messages`, 'not json', { qos: 1 }))
    await Promise.all(sends) // every one PUBACKed: refused, not disconnected
    expect(client.client.connected).toBe(true)

    // an invitation is a later notice on the same inbox: once it is here, every rejection notice is too
    await rest.call('POST', '/v1/rooms', { name: 'marker', members: [mallory.id] }, watcher.token)
    await eventually(
      async () => client.on(inbox),
      (notices) => notices.some((n) => n.type === 'invited'),
      10_000
    )
    const rejections = client.on(inbox).filter((n) => n.type === 'rejected')
    // one window of notices, plus the one that says the rest go unreported (at most two windows on a slow machine)
    expect(rejections.length).toBeGreaterThan(NOTICES)
    expect(rejections.length).toBeLessThanOrEqual(2 * (NOTICES + 1))
    expect(rejections.slice(0, NOTICES).every((n) => n.reason === 'invalid_json')).toBe(true)
    expect(rejections[NOTICES]).toMatchObject({ reason: 'rate_limited', room: room.id })

    // the invalid sends spent the chat budget: a valid send now is refused too
    const valid = await rest.call('POST', `/v1/rooms/${room.id}/messages`, { id: 'after-flood', body: 'hello' }, mallory.token)
    expect(valid.status).toBe(429)
    expect(valid.body.code).toBe('rate_limited')
    expect(await rest.history(watcher.token, room.id)).toEqual([])
  })

  it('a typing flood reaches the room only up to the signal budget', async () => {
    const alice = await rest.register('typist')
    const bob = await rest.register('reader')
    const room = await rest.createRoom(alice.token, 'typing', [bob.id])
    const reader = await connect(bob.token)
    await reader.client.subscribeAsync([`rooms/${room.id}/typing`, `rooms/${room.id}/messages`], { qos: 1 })
    const typist = await connect(alice.token)
    // QoS 1 so that each one has been relayed (or dropped) when its PUBACK arrives
    await Promise.all(
      Array.from({ length: 1000 }, () => typist.client.publishAsync(`rooms/${room.id}/typing`, JSON.stringify({}), { qos: 1 }))
    )
    await typist.client.publishAsync(`rooms/${room.id}/messages`, JSON.stringify({ id: 'marker', body: 'done' }), { qos: 1 })
    await reader.waitFor(`rooms/${room.id}/messages`)
    const typing = reader.on(`rooms/${room.id}/typing`)
    expect(typing.length).toBeGreaterThanOrEqual(SIGNALS)
    expect(typing.length).toBeLessThanOrEqual(2 * SIGNALS)
    expect(typing[0]).toMatchObject({ from: alice.id, room: room.id })
  })

  it('an invitation flood is refused past the inviter budget, also through room creation', async () => {
    const inviter = await rest.register('inviter')
    const victims: Login[] = []
    for (let i = 0; i < INVITES + 2; i++) victims.push(await rest.register(`victim${i}`))
    const room = await rest.createRoom(inviter.token, 'spam')
    const answers: number[] = []
    for (const victim of victims)
      answers.push((await rest.call('POST', `/v1/rooms/${room.id}/members`, { userId: victim.id }, inviter.token)).status)
    expect(answers).toEqual([...Array(INVITES).fill(200), 429, 429])
    const refused = await fetch(`${node.httpUrl}/v1/rooms/${room.id}/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${inviter.token}` },
      body: JSON.stringify({ userId: victims[0]!.id })
    })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    const inRoom = (await rest.call('GET', `/v1/rooms/${room.id}`, undefined, inviter.token)).body.members
    expect(inRoom).toHaveLength(INVITES + 1)

    // a second inviter: one room with many members is as many invitations
    const other = await rest.register('inviter2')
    const big = await rest.call('POST', '/v1/rooms', { name: 'big', members: victims.map((v) => v.id) }, other.token)
    expect(big.status).toBe(429)
    expect((await rest.call('GET', '/v1/rooms', undefined, victims[INVITES + 1]!.token)).body.rooms).toEqual([])
  })

  it('room creation is limited per user', async () => {
    const creator = await rest.register('creator')
    const answers: number[] = []
    for (let i = 0; i < ROOMS + 2; i++) answers.push((await rest.call('POST', '/v1/rooms', { name: `r${i}` }, creator.token)).status)
    expect(answers).toEqual([...Array(ROOMS).fill(201), 429, 429])
  })
})

describe('GET /v1/rooms is paginated', () => {
  let node: TestNode
  let rest: Rest

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_RATE_LIMIT_ROOMS: '0' })
    rest = restClient(node.httpUrl)
  })
  afterAll(async () => {
    await node.destroy()
  })

  it('pages with limit and cursor, `next` until the last page; default 50, at most 200', async () => {
    const alice = await rest.register('alice')
    const created: string[] = []
    for (let i = 0; i < 57; i++) created.push((await rest.createRoom(alice.token, `room ${i}`)).id)

    const first = await rest.call('GET', '/v1/rooms', undefined, alice.token)
    expect(first.status).toBe(200)
    expect(first.body.rooms).toHaveLength(50)
    expect(first.body.next).toEqual(expect.any(String))

    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await rest.call('GET', `/v1/rooms?limit=20${cursor ? `&cursor=${cursor}` : ''}`, undefined, alice.token)
      expect(page.status).toBe(200)
      seen.push(...page.body.rooms.map((r: { id: string }) => r.id))
      cursor = page.body.next
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual([...created].sort())

    expect((await rest.call('GET', '/v1/rooms?limit=201', undefined, alice.token)).status).toBe(400)
    expect((await rest.call('GET', '/v1/rooms?cursor=../x', undefined, alice.token)).status).toBe(400)
    const bob = await rest.register('bob')
    expect((await rest.call('GET', '/v1/rooms', undefined, bob.token)).body).toEqual({ rooms: [] })
  })
})
