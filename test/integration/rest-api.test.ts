import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Envelope } from '../../core/message.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, subscribeCodes, type TestClient } from '../helpers/mqtt.js'
import { type RestResponse, restClient } from '../helpers/rest.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Account {
  id: string
  token: string
}

function expectProblem(response: RestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status)
  expect(response.contentType).toMatch(/^application\/problem\+json/)
  expect(response.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), code })
}

/** The value of an unlabelled Prometheus sample in exposition text. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  if (!line) throw new Error(`no sample ${name} in metrics`)
  return Number(line.slice(name.length + 1))
}

describe('REST API core shapes (SPEC §6)', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  let alice: Account
  let bob: Account
  let carol: Account
  let dave: Account
  const clients: TestClient[] = []

  beforeAll(async () => {
    node = await startTestNode()
    rest = restClient(node.httpUrl)
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
  })

  const connect = async (token: string) => {
    const client = await connectClient(node.mqttUrl, token)
    clients.push(client)
    return client
  }
  const inbox = (userId: string) => `users/${userId}/inbox`

  describe('auth', () => {
    it('register answers 201 {user:{id,...}, token} and never echoes the password or its hash', async () => {
      const response = await rest.call('POST', '/v1/auth/register', {
        username: 'alice',
        password: 'correct horse battery',
        displayName: 'Alice A.'
      })
      expect(response.status).toBe(201)
      expect(response.contentType).toMatch(/^application\/json/)
      expect(response.body).toEqual({
        user: { id: 'alice', displayName: 'Alice A.', createdAt: expect.any(Number) },
        token: expect.any(String)
      })
      expect(JSON.stringify(response.body)).not.toMatch(/correct horse|scrypt|passwordHash/)
      alice = { id: response.body.user.id, token: response.body.token }
      bob = await rest.register('bob')
      carol = await rest.register('carol')
      dave = await rest.register('dave')

      // the token works for REST and as the MQTT password
      expect((await rest.call('GET', '/v1/rooms', undefined, alice.token)).status).toBe(200)
      const client = await connect(alice.token)
      expect(client.client.connected).toBe(true)
    })

    it('a duplicate username -> 409 conflict, and the first account is untouched', async () => {
      const response = await rest.call('POST', '/v1/auth/register', { username: 'alice', password: 'another password here' })
      expectProblem(response, 409, 'conflict')
      const login = await rest.call('POST', '/v1/auth/login', { username: 'alice', password: 'another password here' })
      expectProblem(login, 401, 'unauthenticated')
    })

    it('login answers 200 {user, token}; the new token works', async () => {
      const response = await rest.call('POST', '/v1/auth/login', { username: 'alice', password: 'correct horse battery' })
      expect(response.status).toBe(200)
      expect(response.body).toEqual({
        user: { id: 'alice', displayName: 'Alice A.', createdAt: expect.any(Number) },
        token: expect.any(String)
      })
      const rooms = await rest.call('GET', '/v1/rooms', undefined, response.body.token)
      expect(rooms.status).toBe(200)
      expect(rooms.body).toEqual({ rooms: [] })
    })
  })

  describe('rooms', () => {
    let general: { id: string; name: string; kind: string; members: string[] }

    it('POST /v1/rooms creates a group room: 201 {id,name,kind,members}', async () => {
      const response = await rest.call('POST', '/v1/rooms', { name: 'general', members: ['bob', 'alice', 'bob'] }, alice.token)
      expect(response.status).toBe(201)
      expect(response.body).toMatchObject({ id: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), name: 'general', kind: 'group' })
      expect([...response.body.members].sort()).toEqual(['alice', 'bob'])
      general = response.body

      expectProblem(
        await rest.call('POST', '/v1/rooms', { name: 'ghosts', members: ['nobody-registered'] }, alice.token),
        422,
        'cannot_add'
      )
    })

    it('GET /v1/rooms lists only my rooms', async () => {
      const solo = await rest.createRoom(carol.token, 'carol alone')
      const mine = async (account: Account) => {
        const response = await rest.call('GET', '/v1/rooms', undefined, account.token)
        expect(response.status).toBe(200)
        return (response.body.rooms as { id: string }[]).map((room) => room.id).sort()
      }
      expect(await mine(alice)).toEqual([general.id])
      expect(await mine(bob)).toEqual([general.id])
      expect(await mine(carol)).toEqual([solo.id])
      expect(await mine(dave)).toEqual([])
    })

    it('GET /v1/rooms/{id} returns the room to members', async () => {
      const response = await rest.call('GET', `/v1/rooms/${general.id}`, undefined, bob.token)
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ id: general.id, name: 'general', kind: 'group' })
      expect([...response.body.members].sort()).toEqual(['alice', 'bob'])
      expectProblem(await rest.call('GET', `/v1/rooms/${general.id}`, undefined, dave.token), 404, 'unknown_room')
    })

    it('direct rooms: a deterministic id; the second create, from either side, returns the same room with 200', async () => {
      const bobClient = await connect(bob.token)
      await bobClient.client.subscribeAsync(inbox(bob.id), { qos: 1 })

      const first = await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['bob'] }, alice.token)
      expect(first.status).toBe(201)
      expect(first.body).toMatchObject({ id: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), kind: 'direct', name: expect.any(String) })
      expect([...first.body.members].sort()).toEqual(['alice', 'bob'])
      const [invite] = await bobClient.waitFor(inbox(bob.id))
      expect(invite).toEqual({ type: 'invited', room: first.body.id, by: 'alice' })

      const fromBob = await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['alice'], name: 'ignored' }, bob.token)
      expect(fromBob.status).toBe(200)
      expect(fromBob.body).toMatchObject({ id: first.body.id, kind: 'direct', name: first.body.name })
      expect([...fromBob.body.members].sort()).toEqual(['alice', 'bob'])
      const again = await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['bob'] }, alice.token)
      expect(again.status).toBe(200)
      expect(again.body.id).toBe(first.body.id)

      const other = await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['carol'] }, alice.token)
      expect(other.status).toBe(201)
      expect(other.body.id).not.toBe(first.body.id)

      const listed = await rest.call('GET', '/v1/rooms', undefined, bob.token)
      expect((listed.body.rooms as { id: string }[]).filter((room) => room.id === first.body.id)).toHaveLength(1)

      expectProblem(await rest.call('POST', '/v1/rooms', { kind: 'direct', members: [] }, alice.token), 400, 'invalid_request')
      expectProblem(await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['alice'] }, alice.token), 400, 'invalid_request')
      expectProblem(
        await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['bob', 'carol'] }, alice.token),
        400,
        'invalid_request'
      )
    })

    it('direct rooms refuse member changes: 409 conflict', async () => {
      const direct = (await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['bob'] }, alice.token)).body
      expectProblem(await rest.call('POST', `/v1/rooms/${direct.id}/members`, { userId: 'carol' }, alice.token), 409, 'conflict')
      expectProblem(await rest.call('DELETE', `/v1/rooms/${direct.id}/members/bob`, undefined, alice.token), 409, 'conflict')
      expectProblem(await rest.call('DELETE', `/v1/rooms/${direct.id}/members/alice`, undefined, alice.token), 409, 'conflict')
      const after = await rest.call('GET', `/v1/rooms/${direct.id}`, undefined, alice.token)
      expect([...after.body.members].sort()).toEqual(['alice', 'bob'])
    })
  })

  describe('membership', () => {
    let roomId: string
    let topic: string
    let bobClient: TestClient
    let carolClient: TestClient

    beforeAll(async () => {
      roomId = (await rest.createRoom(alice.token, 'membership', ['bob'])).id
      topic = `rooms/${roomId}/messages`
      bobClient = await connect(bob.token)
      await bobClient.client.subscribeAsync([topic, `rooms/${roomId}/events`], { qos: 1 })
      carolClient = await connect(carol.token)
      await carolClient.client.subscribeAsync(inbox(carol.id), { qos: 1 })
    })

    it('POST /v1/rooms/{id}/members adds; the connected user is invited and can subscribe and receive at once', async () => {
      expect(await subscribeCodes(carolClient.client, [topic])).toEqual([128])

      const response = await rest.call('POST', `/v1/rooms/${roomId}/members`, { userId: 'carol' }, alice.token)
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ id: roomId, kind: 'group' })
      expect([...response.body.members].sort()).toEqual(['alice', 'bob', 'carol'])

      const [invite] = await carolClient.waitFor(inbox(carol.id))
      expect(invite).toEqual({ type: 'invited', room: roomId, by: 'alice' })
      const [event] = await bobClient.waitFor(`rooms/${roomId}/events`)
      expect(event).toMatchObject({ type: 'member_added', room: roomId, userId: 'carol', by: 'alice' })

      // same connection, no reconnect
      expect(await subscribeCodes(carolClient.client, [topic])).toEqual([1])
      const sender = await connect(alice.token)
      await sender.client.publishAsync(topic, JSON.stringify({ id: 'welcome-1', body: 'welcome carol' }), { qos: 1 })
      const [delivered] = await carolClient.waitFor(topic)
      expect(delivered).toMatchObject({ id: 'welcome-1', room: roomId, from: 'alice', body: 'welcome carol', seq: 1 })
      expect((await rest.call('GET', `/v1/rooms/${roomId}/messages`, undefined, carol.token)).status).toBe(200)

      expectProblem(await rest.call('POST', `/v1/rooms/${roomId}/members`, { userId: 'nobody-registered' }, alice.token), 422, 'cannot_add')
      expectProblem(await rest.call('POST', `/v1/rooms/${roomId}/members`, { userId: 'carol' }, dave.token), 404, 'unknown_room')
    })

    it('DELETE /v1/rooms/{id}/members/{userId} removes (204); an open subscription receives nothing more', async () => {
      const response = await fetch(`${node.httpUrl}/v1/rooms/${roomId}/members/carol`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${alice.token}` }
      })
      expect(response.status).toBe(204)
      expect(await response.text()).toBe('')

      const notices = await carolClient.waitFor(inbox(carol.id), 2)
      expect(notices[1]).toEqual({ type: 'removed', room: roomId, by: 'alice' })

      const sender = await connect(alice.token)
      await sender.client.publishAsync(topic, JSON.stringify({ id: 'after-removal-1', body: 'carol is gone' }), { qos: 1 })
      const atBob = await bobClient.waitFor(topic, 2)
      expect(atBob[1]).toMatchObject({ id: 'after-removal-1', seq: 2 })
      await sleep(300)
      expect(carolClient.on(topic).map((m) => m.id)).toEqual(['welcome-1'])
      expect(carolClient.client.connected).toBe(true)

      expect(await subscribeCodes(carolClient.client, [topic])).toEqual([128])
      expectProblem(await rest.call('GET', `/v1/rooms/${roomId}/messages`, undefined, carol.token), 404, 'unknown_room')
      const rooms = await rest.call('GET', '/v1/rooms', undefined, carol.token)
      expect((rooms.body.rooms as { id: string }[]).map((room) => room.id)).not.toContain(roomId)
    })

    it('only the creator may remove others (403); anyone may remove themselves', async () => {
      expect((await rest.call('POST', `/v1/rooms/${roomId}/members`, { userId: 'dave' }, alice.token)).status).toBe(200)

      expectProblem(await rest.call('DELETE', `/v1/rooms/${roomId}/members/dave`, undefined, bob.token), 403, 'forbidden')
      expectProblem(await rest.call('DELETE', `/v1/rooms/${roomId}/members/alice`, undefined, bob.token), 403, 'forbidden')
      const unchanged = await rest.call('GET', `/v1/rooms/${roomId}`, undefined, alice.token)
      expect([...unchanged.body.members].sort()).toEqual(['alice', 'bob', 'dave'])

      expect((await rest.call('DELETE', `/v1/rooms/${roomId}/members/bob`, undefined, bob.token)).status).toBe(204)
      expectProblem(await rest.call('GET', `/v1/rooms/${roomId}`, undefined, bob.token), 404, 'unknown_room')
      const after = await rest.call('GET', `/v1/rooms/${roomId}`, undefined, alice.token)
      expect([...after.body.members].sort()).toEqual(['alice', 'dave'])

      // and the one who left gets nothing more on the subscription it still holds
      const sender = await connect(alice.token)
      const daveClient = await connect(dave.token)
      await daveClient.client.subscribeAsync(topic, { qos: 1 })
      await sender.client.publishAsync(topic, JSON.stringify({ id: 'after-leave-1', body: 'bob left' }), { qos: 1 })
      const [atDave] = await daveClient.waitFor(topic)
      expect(atDave).toMatchObject({ id: 'after-leave-1' })
      await sleep(300)
      expect(bobClient.on(topic).map((m) => m.id)).toEqual(['welcome-1', 'after-removal-1'])
    })
  })

  describe('history', () => {
    const TOTAL = 120
    let historian: Account
    let roomId: string
    let delivered: Envelope[]

    beforeAll(async () => {
      historian = await rest.register('historian')
      roomId = (await rest.createRoom(historian.token, 'archive', ['bob'])).id
      const listener = await connect(bob.token)
      await listener.client.subscribeAsync(`rooms/${roomId}/messages`, { qos: 1 })
      for (let i = 1; i <= TOTAL; i++) {
        const response = await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: `h-${i}`, body: `message ${i}` }, historian.token)
        expect(response.status).toBe(201)
        expect(response.body).toEqual({
          id: `h-${i}`,
          room: roomId,
          seq: i,
          from: 'historian',
          ts: expect.any(Number),
          body: `message ${i}`,
          type: 'text'
        })
      }
      delivered = await listener.waitFor(`rooms/${roomId}/messages`, TOTAL)
    })

    const page = async (query: string) => {
      const response = await rest.call('GET', `/v1/rooms/${roomId}/messages${query}`, undefined, bob.token)
      expect(response.status, JSON.stringify(response.body)).toBe(200)
      return response.body as { messages: Envelope[]; next?: number }
    }

    it('REST sends are delivered over MQTT in seq order', () => {
      expect(delivered.map((m) => m.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1))
    })

    for (const limit of [50, 40, 7, 200]) {
      it(`pages newest first with limit=${limit} and next as before, with no gap or repeat`, async () => {
        const seen: number[] = []
        const sizes: number[] = []
        let query = `?limit=${limit}`
        for (let pages = 0; pages <= TOTAL; pages++) {
          const body = await page(query)
          sizes.push(body.messages.length)
          seen.push(...body.messages.map((m) => m.seq))
          if (body.next === undefined) break
          expect(body.next).toBe(body.messages.at(-1)?.seq)
          query = `?limit=${limit}&before=${body.next}`
        }
        expect(seen).toEqual(Array.from({ length: TOTAL }, (_, i) => TOTAL - i))
        expect(sizes).toEqual(Array.from({ length: Math.ceil(TOTAL / limit) }, (_, i) => Math.min(limit, TOTAL - i * limit)))
      })
    }

    it('history envelopes are the envelopes delivered over MQTT', async () => {
      const body = await page('?limit=200')
      expect(body.messages).toEqual([...delivered].reverse())
      expect(body.next).toBeUndefined()
    })

    it('defaults to 50 newest first', async () => {
      const body = await page('')
      expect(body.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => TOTAL - i))
      expect(body.next).toBe(TOTAL - 49)
    })

    it('after=N returns exactly the messages with seq > N, oldest first (catch-up)', async () => {
      const body = await page('?after=100')
      expect(body.messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i))
      expect(body.next).toBeUndefined()
      expect(body.messages).toEqual(delivered.slice(100))

      expect((await page(`?after=${TOTAL}`)).messages).toEqual([])
      expect((await page('?after=119')).messages.map((m) => m.seq)).toEqual([120])
    })

    it('after=0 pages oldest first through everything with next as after', async () => {
      const seen: number[] = []
      let query = '?after=0&limit=45'
      for (let pages = 0; pages <= TOTAL; pages++) {
        const body = await page(query)
        seen.push(...body.messages.map((m) => m.seq))
        if (body.next === undefined) break
        expect(body.next).toBe(body.messages.at(-1)?.seq)
        query = `?after=${body.next}&limit=45`
      }
      expect(seen).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1))
    })

    it('after and before together bound a window', async () => {
      const body = await page('?after=10&before=16')
      expect(body.messages.map((m) => m.seq)).toEqual([11, 12, 13, 14, 15])
    })
  })

  describe('operations endpoints', () => {
    it('/healthz and /readyz answer 200', async () => {
      const health = await rest.call('GET', '/healthz')
      expect(health.status).toBe(200)
      expect(health.body).toEqual({ status: 'ok' })
      const ready = await rest.call('GET', '/readyz')
      expect(ready.status).toBe(200)
      expect(ready.body).toMatchObject({ status: 'ready' })
    })

    it('/metrics returns Prometheus text with the mqchat_ counters', async () => {
      const response = await fetch(`${node.httpUrl}/metrics`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
      const text = await response.text()
      for (const name of [
        'mqchat_connections',
        'mqchat_messages_in_total',
        'mqchat_messages_out_total',
        'mqchat_rejects_total',
        'mqchat_log_backlog'
      ]) {
        expect(text).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'))
      }
      for (const name of ['mqchat_persist_batch_seconds', 'mqchat_history_request_seconds']) {
        expect(text).toMatch(new RegExp(`^# TYPE ${name} histogram$`, 'm'))
      }
      expect(sample(text, 'mqchat_persist_batch_seconds_count')).toBeGreaterThan(0)
      expect(sample(text, 'mqchat_log_backlog')).toBeGreaterThanOrEqual(0)
      expect(sample(text, 'mqchat_connections')).toBeGreaterThan(0)
      expect(sample(text, 'mqchat_messages_out_total')).toBeGreaterThan(0)
    })

    it('mqchat_messages_in_total counts every sequenced message, from MQTT and from REST', async () => {
      const read = async () => sample(await (await fetch(`${node.httpUrl}/metrics`)).text(), 'mqchat_messages_in_total')
      const room = await rest.createRoom(alice.token, 'metrics')
      const before = await read()
      const viaRest = await rest.call('POST', `/v1/rooms/${room.id}/messages`, { id: 'metric-rest-1', body: 'counted' }, alice.token)
      expect(viaRest.status).toBe(201)
      const client = await connect(alice.token)
      await client.client.publishAsync(`rooms/${room.id}/messages`, JSON.stringify({ id: 'metric-mqtt-1', body: 'counted' }), { qos: 1 })
      expect(await read()).toBe(before + 2)
    })
  })
})
