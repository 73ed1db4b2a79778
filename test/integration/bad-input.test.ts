import { readFile } from 'node:fs/promises'
import { connect as connectTcp } from 'node:net'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { type RestResponse, restClient } from '../helpers/rest.js'

const MAX_MESSAGE_BYTES = 1024
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Writes `bytes` on a fresh raw TCP socket; resolves with what came back once the broker closes it. */
function rawSession(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`broker left the socket open; received ${Buffer.concat(chunks).toString('hex')}`))
    }, 5000)
    socket.on('data', (chunk) => chunks.push(chunk))
    // a reset is one way of being closed ('close' follows); anything else fails the test
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
    socket.on('connect', () => socket.write(bytes))
  })
}

/** An MQTT CONNECT (clean session, keepalive 60, client id "x") at the given protocol level. */
function connectPacket(level: number): Buffer {
  const properties = level === 5 ? [0] : []
  const variable = [0, 4, ...Buffer.from('MQTT'), level, 0x02, 0, 60, ...properties, 0, 1, ...Buffer.from('x')]
  return Buffer.from([0x10, variable.length, ...variable])
}

function expectProblem(response: RestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status)
  expect(response.contentType).toMatch(/^application\/problem\+json/)
  expect(response.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), code })
}

describe('bad input gets its documented answer and the node keeps serving everyone else', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  let alice: { id: string; token: string }
  let bob: { id: string; token: string }
  let mallory: { id: string; token: string }
  let trudy: { id: string; token: string }
  let roomId: string
  let aliceClient: TestClient
  let bobClient: TestClient
  let malloryClient: TestClient
  let malloryCloses = 0
  const clients: TestClient[] = []
  const controlIds: string[] = []

  const roomTopic = () => `rooms/${roomId}/messages`
  const inbox = (userId: string) => `users/${userId}/inbox`

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) })
    rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    bob = await rest.register('bob')
    mallory = await rest.register('mallory')
    trudy = await rest.register('trudy')
    roomId = (await rest.createRoom(alice.token, 'general', ['bob', 'mallory'])).id

    aliceClient = await connect(alice.token)
    bobClient = await connect(bob.token)
    malloryClient = await connect(mallory.token)
    malloryClient.client.on('close', () => {
      malloryCloses += 1
    })
    await bobClient.client.subscribeAsync([roomTopic(), `rooms/${roomId}/events`, inbox(bob.id)], { qos: 1 })
    await malloryClient.client.subscribeAsync([roomTopic(), inbox(mallory.id)], { qos: 1 })
  })
  afterAll(async () => {
    // forced: some of these connections were closed by the broker with a QoS 1 publish in flight
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
  })

  async function connect(token: string): Promise<TestClient> {
    const client = await connectClient(node.mqttUrl, token)
    clients.push(client)
    return client
  }

  /** Mallory publishes; resolves with the next notice on her inbox. */
  async function rejectionOf(topic: string, payload: string | Buffer): Promise<any> {
    const seen = malloryClient.on(inbox(mallory.id)).length
    await malloryClient.client.publishAsync(topic, payload, { qos: 1 })
    const notices = await malloryClient.waitFor(inbox(mallory.id), seen + 1)
    return notices[seen]
  }

  /**
   * The well-behaved member still chats: alice's control message reaches bob, and the room
   * (live and history) holds only alice's control messages, gapless from seq 1.
   */
  async function stillServes(): Promise<void> {
    const id = `control-${controlIds.length + 1}`
    controlIds.push(id)
    const client = await connect(alice.token)
    await client.client.publishAsync(roomTopic(), JSON.stringify({ id, body: 'still here' }), { qos: 1 })
    const delivered = await bobClient.waitFor(roomTopic(), controlIds.length)
    expect(delivered.at(-1)).toMatchObject({ id, from: 'alice', room: roomId, seq: controlIds.length })
    await sleep(300)
    expect(bobClient.on(roomTopic()).map((m) => m.id)).toEqual(controlIds)
    expect(malloryClient.on(roomTopic()).map((m) => m.id)).toEqual(controlIds)
    expect(bobClient.on(`rooms/${roomId}/events`)).toEqual([])
    const history = await eventually(
      () => rest.history(bob.token, roomId, '?limit=200'),
      (messages) => messages.length >= controlIds.length
    )
    expect(history.map((m) => [m.seq, m.id, m.from])).toEqual(controlIds.map((cid, i) => [i + 1, cid, 'alice']).reverse())
    await client.end()
  }

  function expectMalloryStillConnected(): void {
    expect(malloryClient.client.connected).toBe(true)
    expect(malloryCloses).toBe(0)
  }

  describe('chat sends are rejected on the inbox, not disconnected', () => {
    it('malformed JSON -> invalid_json, nothing delivered or stored', async () => {
      for (const payload of ['{"id": "m-1", "body": "unterminated', 'not json at all', Buffer.from([0xff, 0xfe, 0x00])]) {
        const rejection = await rejectionOf(roomTopic(), payload)
        expect(rejection).toEqual({ type: 'rejected', id: null, room: roomId, reason: 'invalid_json', message: expect.any(String) })
      }
      expectMalloryStillConnected()
      await stillServes()
      expectMalloryStillConnected()
    })

    it('an empty payload -> invalid_json', async () => {
      const rejection = await rejectionOf(roomTopic(), '')
      expect(rejection).toMatchObject({ type: 'rejected', room: roomId, reason: 'invalid_json' })
      await stillServes()
      expectMalloryStillConnected()
    })

    it(`a payload over MQCHAT_MAX_MESSAGE_BYTES (${MAX_MESSAGE_BYTES}) -> too_large`, async () => {
      const payload = JSON.stringify({ id: 'big-1', body: 'x'.repeat(MAX_MESSAGE_BYTES) })
      expect(Buffer.byteLength(payload)).toBeGreaterThan(MAX_MESSAGE_BYTES)
      const rejection = await rejectionOf(roomTopic(), payload)
      expect(rejection).toMatchObject({ type: 'rejected', room: roomId, reason: 'too_large' })
      await stillServes()
      expectMalloryStillConnected()
    })

    it('a payload exactly at the limit is accepted (positive boundary)', async () => {
      const skeleton = JSON.stringify({ id: 'edge-1', body: '' })
      const payload = JSON.stringify({ id: 'edge-1', body: 'y'.repeat(MAX_MESSAGE_BYTES - Buffer.byteLength(skeleton)) })
      expect(Buffer.byteLength(payload)).toBe(MAX_MESSAGE_BYTES)
      const listener = await connect(alice.token)
      await listener.client.subscribeAsync(roomTopic(), { qos: 1 })
      await aliceClient.client.publishAsync(roomTopic(), payload, { qos: 1 })
      const [delivered] = await listener.waitFor(roomTopic())
      expect(delivered).toMatchObject({ id: 'edge-1', from: 'alice' })
      // this one is a real message: count it with the controls
      controlIds.push('edge-1')
      await stillServes()
    })

    it('bad message ids and a missing body -> invalid_message', async () => {
      const bad = [
        { id: '', body: 'empty id' },
        { id: 'a'.repeat(65), body: 'id too long' },
        { id: 'a/b', body: 'slash in id' },
        { id: 'a b', body: 'space in id' },
        { id: 42, body: 'numeric id' },
        { body: 'no id' },
        { id: 'no-body-1' },
        { id: 'empty-body-1', body: '' },
        { id: 'bad-body-1', body: { text: 'not a string' } },
        ['an', 'array'],
        'a string',
        null
      ]
      for (const message of bad) {
        const rejection = await rejectionOf(roomTopic(), JSON.stringify(message))
        expect(rejection, JSON.stringify(message)).toMatchObject({ type: 'rejected', room: roomId, reason: 'invalid_message' })
      }
      expectMalloryStillConnected()
      await stillServes()
      expectMalloryStillConnected()
    })

    it('an unknown room -> unknown_room', async () => {
      const rejection = await rejectionOf('rooms/nosuchroom/messages', JSON.stringify({ id: 'u-1', body: 'anyone?' }))
      expect(rejection).toEqual({ type: 'rejected', id: 'u-1', room: 'nosuchroom', reason: 'unknown_room', message: expect.any(String) })
      await stillServes()
      expectMalloryStillConnected()
    })

    it('a room topic with an unknown channel or shape -> invalid_topic', async () => {
      for (const topic of [`rooms/${roomId}/bogus`, 'rooms/x/bogus', `rooms/${roomId}/messages/extra`, 'rooms/bad id/messages', 'rooms/']) {
        const rejection = await rejectionOf(topic, JSON.stringify({ id: 't-1', body: 'where am I' }))
        expect(rejection, topic).toMatchObject({ type: 'rejected', id: null, reason: 'invalid_topic' })
      }
      await stillServes()
      expectMalloryStillConnected()
    })

    it('publishing to rooms/{id}/events -> forbidden, and no member sees the forged event', async () => {
      const forged = JSON.stringify({ type: 'member_removed', room: roomId, userId: 'alice', by: 'alice', ts: Date.now() })
      const rejection = await rejectionOf(`rooms/${roomId}/events`, forged)
      expect(rejection).toMatchObject({ type: 'rejected', room: roomId, reason: 'forbidden' })
      await stillServes() // also checks bob's events subscription stayed empty
      expectMalloryStillConnected()
    })
  })

  describe('publishes to broker-only topics', () => {
    it('writing $SYS closes the connection; other clients are unaffected', async () => {
      const intruder = await connect(trudy.token)
      const closed = new Promise<void>((resolve) => intruder.client.once('close', () => resolve()))
      intruder.client.publish('$SYS/broker/uptime', 'hacked', { qos: 0 })
      await closed
      expect(intruder.client.connected).toBe(false)

      const intruder2 = await connect(trudy.token)
      const closed2 = new Promise<void>((resolve) => intruder2.client.once('close', () => resolve()))
      intruder2.client.publish('$SYS/anything', JSON.stringify({ id: 's-1', body: 'x' }), { qos: 1 }, () => {})
      await closed2
      expect(intruder2.client.connected).toBe(false)

      await stillServes()
      expectMalloryStillConnected()
      expect(bobClient.client.connected).toBe(true)
    })

    it("publishing to another user's inbox is silently dropped", async () => {
      const bobInboxBefore = bobClient.on(inbox(bob.id)).length
      const malloryInboxBefore = malloryClient.on(inbox(mallory.id)).length
      const forged = JSON.stringify({ type: 'invited', room: roomId, by: 'alice' })
      await malloryClient.client.publishAsync(inbox(bob.id), forged, { qos: 1 })
      await malloryClient.client.publishAsync(inbox(mallory.id), forged, { qos: 1 }) // not even your own
      // positive control on the same topic: a real invitation from the API
      const room = await rest.createRoom(alice.token, 'control room', ['bob'])
      const notices = await bobClient.waitFor(inbox(bob.id), bobInboxBefore + 1)
      await sleep(300)
      expect(bobClient.on(inbox(bob.id))).toEqual([...notices.slice(0, bobInboxBefore), { type: 'invited', room: room.id, by: 'alice' }])
      expect(malloryClient.on(inbox(mallory.id)).length).toBe(malloryInboxBefore)
      await stillServes()
      expectMalloryStillConnected()
    })

    it('publishing to presence/{someone} is silently dropped and does not replace the retained state', async () => {
      const watcher = await connect(bob.token)
      await watcher.client.subscribeAsync(`presence/${alice.id}`, { qos: 1 })
      const [retained] = await watcher.waitFor(`presence/${alice.id}`)
      expect(retained).toMatchObject({ status: 'online' })

      const forged = JSON.stringify({ status: 'offline', ts: Date.now() })
      await malloryClient.client.publishAsync(`presence/${alice.id}`, forged, { qos: 1, retain: true })
      await malloryClient.client.publishAsync(`presence/${alice.id}`, forged, { qos: 1 })

      // positive control: a fresh subscriber still gets the true retained state
      const late = await connect(bob.token)
      await late.client.subscribeAsync(`presence/${alice.id}`, { qos: 1 })
      const [current] = await late.waitFor(`presence/${alice.id}`)
      expect(current).toMatchObject({ status: 'online' })
      await sleep(300)
      expect(watcher.on(`presence/${alice.id}`)).toEqual([retained])
      expect(late.on(`presence/${alice.id}`)).toEqual([current])
      await stillServes()
      expectMalloryStillConnected()
    })
  })

  describe('protocol violations on raw sockets close that socket only', () => {
    const garbage: [string, Buffer][] = [
      ['reserved packet type 0', Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe])],
      ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: mqchat\r\n\r\n')],
      ['all 0xff', Buffer.alloc(32, 0xff)],
      ['a malformed remaining length', Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])],
      ['a PUBLISH before CONNECT', Buffer.from([0x30, 0x07, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x68, 0x69])],
      ['a CONNECT with bogus protocol level 9', connectPacket(9)],
      ['a CONNECT with protocol level 2', connectPacket(2)]
    ]

    for (const [what, bytes] of garbage) {
      it(`${what}: the socket is closed`, async () => {
        await rawSession(node.mqttPort, bytes)
        await stillServes()
        expectMalloryStillConnected()
      })
    }

    it('a CONNECT at MQTT 5 gets CONNACK 0x01 (unacceptable protocol version) and is closed [MQTT-3.1.2-2]', async () => {
      const answer = await rawSession(node.mqttPort, connectPacket(5))
      expect([...answer]).toEqual([0x20, 0x02, 0x00, 0x01])
      await stillServes()
    })

    it('a second CONNECT on the same connection closes it [MQTT-3.1.0-2]', async () => {
      const client = await connect(trudy.token)
      const closed = new Promise<void>((resolve) => client.client.once('close', () => resolve()))
      const stream = (client.client as unknown as { stream: { write(b: Buffer): void } }).stream
      stream.write(connectPacket(4))
      await closed
      await stillServes()
    })
  })

  describe('MQTT CONNECT authentication', () => {
    const refusal = async (password: string | undefined) => {
      const error = await connectClient(node.mqttUrl, password).then(
        async (client) => {
          await client.end()
          return null
        },
        (err: unknown) => err as { code?: number; message: string }
      )
      expect(error, 'the connection was accepted').not.toBeNull()
      return error as { code?: number; message: string }
    }

    it('a wrong token -> CONNACK 4 (bad username or password)', async () => {
      const secret = await readFile(join(node.dataDir, 'jwt-secret'), 'utf8')
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('some-other-secret-that-is-long-enough'))
      const expired = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
        .sign(new TextEncoder().encode(secret.trim()))
      for (const token of ['not-a-token', forged, expired, `${alice.token}x`]) {
        const error = await refusal(token)
        expect(error.code).toBe(4)
        expect(error.message).toMatch(/Bad username or password/)
      }
      await stillServes()
    })

    it('no password -> CONNACK 5 (not authorized)', async () => {
      const error = await refusal(undefined)
      expect(error.code).toBe(5)
      expect(error.message).toMatch(/Not authorized/)
      await stillServes()
    })
  })

  describe('REST answers bad requests with problem+json', () => {
    it('a body that is not valid JSON -> 400 invalid_json', async () => {
      expectProblem(await rest.call('POST', '/v1/auth/register', undefined, undefined, '{nope'), 400, 'invalid_json')
      expectProblem(await rest.call('POST', '/v1/auth/login', undefined, undefined, '{nope'), 400, 'invalid_json')
      expectProblem(await rest.call('POST', '/v1/rooms', undefined, alice.token, '{nope'), 400, 'invalid_json')
      expectProblem(await rest.call('POST', `/v1/rooms/${roomId}/messages`, undefined, alice.token, '{nope'), 400, 'invalid_json')
      await stillServes()
    })

    it('a body that is not an object -> 400 invalid_request', async () => {
      for (const raw of ['"just a string"', '[1,2]', '42', 'null', 'true']) {
        expectProblem(await rest.call('POST', '/v1/auth/register', undefined, undefined, raw), 400, 'invalid_request')
        expectProblem(await rest.call('POST', '/v1/rooms', undefined, alice.token, raw), 400, 'invalid_request')
        expectProblem(await rest.call('POST', `/v1/rooms/${roomId}/members`, undefined, alice.token, raw), 400, 'invalid_request')
        expectProblem(await rest.call('POST', `/v1/rooms/${roomId}/messages`, undefined, alice.token, raw), 400, 'invalid_message')
      }
      await stillServes()
    })

    it('missing fields -> 400 invalid_request', async () => {
      expectProblem(await rest.call('POST', '/v1/auth/register', {}), 400, 'invalid_request')
      expectProblem(await rest.call('POST', '/v1/auth/register', { username: 'carol' }), 400, 'invalid_request')
      expectProblem(await rest.call('POST', '/v1/auth/register', { password: 'long enough password' }), 400, 'invalid_request')
      expectProblem(await rest.call('POST', '/v1/auth/login', { username: 'alice' }), 400, 'invalid_request')
      expectProblem(await rest.call('POST', '/v1/rooms', {}, alice.token), 400, 'invalid_request')
      expectProblem(await rest.call('POST', `/v1/rooms/${roomId}/members`, {}, alice.token), 400, 'invalid_request')
      expectProblem(await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'nobody-1' }, alice.token), 400, 'invalid_message')
      await stillServes()
    })

    it('a username with bad characters -> 400 invalid_request naming the field', async () => {
      for (const username of ['bad name', 'a/b', 'ünïcode', '', 'x'.repeat(65), 'semi;colon', 'dot.ted']) {
        const response = await rest.call('POST', '/v1/auth/register', { username, password: 'long enough password' })
        expectProblem(response, 400, 'invalid_request')
        expect(response.body.detail).toMatch(/username/)
      }
      await stillServes()
    })

    it('a password that is too short -> 400 invalid_request', async () => {
      const response = await rest.call('POST', '/v1/auth/register', { username: 'shorty', password: 'short' })
      expectProblem(response, 400, 'invalid_request')
      expect(response.body.detail).toMatch(/password/)
      // the refused registration left nothing behind
      expect((await rest.call('POST', '/v1/auth/register', { username: 'shorty', password: 'long enough password' })).status).toBe(201)
      await stillServes()
    })

    it('a wrong password or unknown user at login -> 401 unauthenticated, the same answer for both', async () => {
      const wrong = await rest.call('POST', '/v1/auth/login', { username: 'alice', password: 'not the password' })
      expectProblem(wrong, 401, 'unauthenticated')
      const unknown = await rest.call('POST', '/v1/auth/login', { username: 'nobody-here', password: 'not the password' })
      expectProblem(unknown, 401, 'unauthenticated')
      expect(unknown.body).toEqual(wrong.body)
      await stillServes()
    })

    it('a missing or invalid Bearer token -> 401 unauthenticated', async () => {
      const attempts: [string, string | undefined][] = [
        ['/v1/rooms', undefined],
        ['/v1/rooms', 'not-a-token'],
        ['/v1/rooms', `${alice.token}x`],
        [`/v1/rooms/${roomId}`, undefined],
        [`/v1/rooms/${roomId}/messages`, undefined],
        [`/v1/rooms/${roomId}/messages`, 'garbage']
      ]
      for (const [path, token] of attempts) expectProblem(await rest.call('GET', path, undefined, token), 401, 'unauthenticated')
      const basic = await fetch(`${node.httpUrl}/v1/rooms`, {
        headers: { authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` }
      })
      expect(basic.status).toBe(401)
      expect(basic.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(await basic.json()).toMatchObject({ code: 'unauthenticated', status: 401 })
      expectProblem(await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'anon-1', body: 'hi' }), 401, 'unauthenticated')
      await stillServes()
    })

    it('an unknown room -> 404 unknown_room', async () => {
      expectProblem(await rest.call('GET', '/v1/rooms/nosuchroom', undefined, alice.token), 404, 'unknown_room')
      expectProblem(await rest.call('GET', '/v1/rooms/nosuchroom/messages', undefined, alice.token), 404, 'unknown_room')
      expectProblem(await rest.call('POST', '/v1/rooms/nosuchroom/messages', { id: 'nr-1', body: 'hi' }, alice.token), 404, 'unknown_room')
      expectProblem(await rest.call('POST', '/v1/rooms/nosuchroom/members', { userId: 'bob' }, alice.token), 404, 'unknown_room')
      expectProblem(await rest.call('GET', '/v1/nothing-here', undefined, alice.token), 404, 'not_found')
      await stillServes()
    })

    it('a non-member reading history or the room -> 404 unknown_room, as for a room that does not exist', async () => {
      expectProblem(await rest.call('GET', `/v1/rooms/${roomId}/messages`, undefined, trudy.token), 404, 'unknown_room')
      expectProblem(await rest.call('GET', `/v1/rooms/${roomId}`, undefined, trudy.token), 404, 'unknown_room')
      expectProblem(await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'tr-1', body: 'hi' }, trudy.token), 404, 'unknown_room')
      await stillServes()
    })

    it('a bad history query -> 400 invalid_request', async () => {
      for (const query of ['?limit=0', '?limit=500', '?limit=201', '?limit=abc', '?limit=1.5', '?before=abc', '?after=abc', '?after=-1']) {
        const response = await rest.call('GET', `/v1/rooms/${roomId}/messages${query}`, undefined, alice.token)
        expectProblem(response, 400, 'invalid_request')
      }
      expect((await rest.call('GET', `/v1/rooms/${roomId}/messages?limit=200`, undefined, alice.token)).status).toBe(200)
      await stillServes()
    })

    it('a message body over the limit -> 413 too_large', async () => {
      const over = await rest.call(
        'POST',
        `/v1/rooms/${roomId}/messages`,
        { id: 'big-rest-1', body: 'z'.repeat(MAX_MESSAGE_BYTES) },
        alice.token
      )
      expectProblem(over, 413, 'too_large')
      const farOver = await rest.call(
        'POST',
        `/v1/rooms/${roomId}/messages`,
        { id: 'big-rest-2', body: 'z'.repeat(MAX_MESSAGE_BYTES * 4) },
        alice.token
      )
      expectProblem(farOver, 413, 'too_large')
      await stillServes()
    })
  })

  it('the misbehaving client, on its original connection, still chats after every rejection', async () => {
    expectMalloryStillConnected()
    const topic = roomTopic()
    await malloryClient.client.publishAsync(topic, JSON.stringify({ id: 'mallory-ok-1', body: 'I behave now' }), { qos: 1 })
    const delivered = await bobClient.waitFor(topic, controlIds.length + 1)
    expect(delivered.at(-1)).toMatchObject({ id: 'mallory-ok-1', from: 'mallory', seq: controlIds.length + 1 })
    expectMalloryStillConnected()
  })
})
