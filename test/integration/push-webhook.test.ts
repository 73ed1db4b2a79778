import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { type PushReceiver, startPushReceiver } from '../helpers/push-receiver.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const SECRET = 'push-secret-for-the-tests'

/** The value of a Prometheus sample (with its labels, if any) in exposition text; 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : 0
}

describe('offline push webhook (issue 9 part 3)', () => {
  let receiver: PushReceiver
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  const users: Record<string, { id: string; token: string }> = {}
  const clients: TestClient[] = []
  let room: string
  let sent = 0

  beforeAll(async () => {
    receiver = await startPushReceiver(SECRET)
    node = await startTestNode({
      MQCHAT_PUSH_URL: receiver.url,
      MQCHAT_PUSH_SECRET: SECRET,
      // one at a time: pushes arrive in log order, so a later push proves an earlier message had none
      MQCHAT_PUSH_CONCURRENCY: '1',
      MQCHAT_PUSH_RETRY_MS: '20',
      MQCHAT_PUSH_MAX_ATTEMPTS: '4'
    })
    rest = restClient(node.httpUrl)
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) users[name] = await rest.register(name)
    room = (await rest.createRoom(users.alice!.token, 'push', ['bob', 'carol', 'dave', 'erin'])).id
  })
  afterEach(() => {
    receiver.status = () => 200
    expect(receiver.rejected).toEqual([])
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
    await receiver.stop()
  })

  const online = async (name: string) => {
    const client = await connectClient(node.mqttUrl, users[name]!.token)
    clients.push(client)
    return client
  }
  const send = async (client: TestClient, roomId: string, body: string) => {
    await client.client.publishAsync(`rooms/${roomId}/messages`, JSON.stringify({ id: `m${++sent}`, body }), { qos: 1 })
  }
  const pushFor = (roomId: string, seq: number) => receiver.pushes.filter((p) => p.body.room === roomId && p.body.seq === seq)
  const waitForPush = (roomId: string, seq: number) =>
    eventually(
      async () => pushFor(roomId, seq),
      (found) => found.length > 0,
      15_000
    )
  const metrics = async () => (await fetch(`${node.httpUrl}/metrics`)).text()

  it('stores a member’s own room settings; strangers and bad bodies are refused', async () => {
    const carol = users.carol!.token
    expect(await rest.call('GET', `/v1/rooms/${room}/settings`, undefined, carol)).toMatchObject({ status: 200, body: { muted: false } })
    expect(await rest.call('PUT', `/v1/rooms/${room}/settings`, { muted: 'yes' }, carol)).toMatchObject({
      status: 400,
      body: { code: 'invalid_request' }
    })
    const stranger = await rest.register('mallory')
    expect(await rest.call('PUT', `/v1/rooms/${room}/settings`, { muted: true }, stranger.token)).toMatchObject({
      status: 404,
      body: { code: 'unknown_room' }
    })
    expect(await rest.call('PUT', `/v1/rooms/${room}/settings`, { muted: true }, users.dave!.token)).toMatchObject({
      status: 200,
      body: { muted: true }
    })
    expect(await rest.call('GET', `/v1/rooms/${room}/settings`, undefined, users.dave!.token)).toMatchObject({ body: { muted: true } })
    expect(await rest.call('GET', `/v1/rooms/${room}/settings`, undefined, carol)).toMatchObject({ body: { muted: false } })
  })

  it('pushes a message to the offline members only: not the sender, not online or muted members', async () => {
    const alice = await online('alice')
    await online('bob')
    await send(alice, room, 'hello offline friends')
    const [push] = await waitForPush(room, 1)
    expect(push).toEqual({
      delivery: `${room}:1`,
      body: { type: 'message', room, seq: 1, from: 'alice', preview: 'hello offline friends', recipients: ['carol', 'erin'] }
    })
  })

  it('sends nothing for a message whose other members are all online or muted', async () => {
    const quiet = (await rest.createRoom(users.alice!.token, 'quiet', ['bob', 'dave'])).id
    await rest.call('PUT', `/v1/rooms/${quiet}/settings`, { muted: true }, users.dave!.token)
    const alice = clients[0]!
    await send(alice, quiet, 'nobody to push')
    // pushes go out one at a time in log order: once this later one arrives, the first had its turn
    await send(alice, room, 'marker')
    await waitForPush(room, 2)
    expect(receiver.pushes.filter((p) => p.body.room === quiet)).toEqual([])
    expect(receiver.pushes.flatMap((p) => p.body.recipients)).not.toContain('bob')
    expect(receiver.pushes.flatMap((p) => p.body.recipients)).not.toContain('dave')
  })

  it('pushes to a member once all its connections closed, and to the sender’s peers when sent over REST', async () => {
    const alice = clients[0]!
    await alice.client.subscribeAsync('presence/bob', { qos: 1 })
    await clients[1]!.client.endAsync()
    // offline is announced once bob's last connection is no longer counted
    await eventually(
      async () => alice.on('presence/bob'),
      (seen) => seen.some((p) => p.status === 'offline')
    )
    const sentOverRest = await rest.call('POST', `/v1/rooms/${room}/messages`, { id: 'over-rest', body: 'bob gone?' }, users.carol!.token)
    expect(sentOverRest.status).toBe(201)
    const [push] = await waitForPush(room, 3)
    expect(push?.body).toMatchObject({ from: 'carol', recipients: ['bob', 'erin'] })
    // unmuted again: dave is pushed too
    await rest.call('PUT', `/v1/rooms/${room}/settings`, { muted: false }, users.dave!.token)
    await send(clients[0]!, room, 'dave too')
    expect((await waitForPush(room, 4))[0]?.body.recipients).toEqual(['bob', 'carol', 'dave', 'erin'])
  })

  it('retries 5xx answers until one succeeds, with the same delivery id and a fresh signature each time', async () => {
    const before = receiver.requests
    receiver.status = (request) => (request - before <= 2 ? 503 : 200)
    const retriesBefore = sample(await metrics(), 'mqchat_push_retries_total')
    await send(clients[0]!, room, 'flaky receiver')
    const pushes = await waitForPush(room, 5)
    expect(pushes).toHaveLength(1)
    expect(pushes[0]?.delivery).toBe(`${room}:5`)
    expect(receiver.requests - before).toBe(3)
    expect(sample(await metrics(), 'mqchat_push_retries_total') - retriesBefore).toBe(2)
  })

  it('gives up after the attempts bound (or at once on a 4xx) and counts it, then goes on', async () => {
    const before = await metrics()
    receiver.status = () => 500
    await send(clients[0]!, room, 'never accepted')
    await eventually(
      metrics,
      (text) =>
        sample(text, 'mqchat_push_failed_total{reason="retries_exhausted"}') >
        sample(before, 'mqchat_push_failed_total{reason="retries_exhausted"}')
    )
    receiver.status = () => 400
    await send(clients[0]!, room, 'refused')
    await eventually(
      metrics,
      (text) => sample(text, 'mqchat_push_failed_total{reason="refused"}') > sample(before, 'mqchat_push_failed_total{reason="refused"}')
    )
    receiver.status = () => 200
    await send(clients[0]!, room, 'after the failures')
    await waitForPush(room, 8)
    expect(pushFor(room, 6)).toEqual([])
    expect(pushFor(room, 7)).toEqual([])
    expect(sample(await metrics(), 'mqchat_push_sent_total')).toBeGreaterThanOrEqual(5)
  })

  it('catches up on every push after the receiver was down, none lost', async () => {
    await receiver.stop()
    for (let i = 0; i < 5; i++) await send(clients[0]!, room, `while down ${i}`)
    await receiver.start()
    for (let seq = 9; seq <= 13; seq++) await waitForPush(room, seq)
  })
})

describe('offline push with a slow receiver', () => {
  let receiver: PushReceiver
  let node: TestNode
  const clients: TestClient[] = []

  beforeAll(async () => {
    receiver = await startPushReceiver(SECRET)
    node = await startTestNode({
      MQCHAT_PUSH_URL: receiver.url,
      MQCHAT_PUSH_SECRET: SECRET,
      MQCHAT_PUSH_CONCURRENCY: '2',
      MQCHAT_PUSH_TIMEOUT_MS: '200',
      // a retry comes well after the timed-out POST's connection closed: the receiver counts open POSTs right
      MQCHAT_PUSH_RETRY_MS: '100',
      MQCHAT_PUSH_MAX_ATTEMPTS: '1000'
    })
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
    await receiver.stop()
  })

  it('retries timeouts, keeps at most MQCHAT_PUSH_CONCURRENCY POSTs open, and never holds up chat or the persister', async () => {
    const rest = restClient(node.httpUrl)
    const [alice, bob] = [await rest.register('alice'), await rest.register('bob')]
    await rest.register('carol')
    const room = (await rest.createRoom(alice.token, 'slow', ['bob', 'carol'])).id
    const sender = await connectClient(node.mqttUrl, alice.token)
    const reader = await connectClient(node.mqttUrl, bob.token)
    clients.push(sender, reader)
    await reader.client.subscribeAsync(`rooms/${room}/messages`, { qos: 1 })

    let release = () => {}
    receiver.hold = new Promise((resolve) => {
      release = resolve
    })
    const count = 20
    for (let i = 1; i <= count; i++) {
      await sender.client.publishAsync(`rooms/${room}/messages`, JSON.stringify({ id: `s${i}`, body: `slow ${i}` }), { qos: 1 })
    }
    // with every push stuck: live delivery is complete and the persisters caught up
    expect((await reader.waitFor(`rooms/${room}/messages`, count)).map((m) => m.seq)).toEqual(
      Array.from({ length: count }, (_, i) => i + 1)
    )
    const stuck = await eventually(
      async () => (await fetch(`${node.httpUrl}/metrics`)).text(),
      (text) => sample(text, 'mqchat_log_backlog') === 0 && sample(text, 'mqchat_push_retries_total') > 0
    )
    expect(sample(stuck, 'mqchat_push_backlog')).toBeGreaterThan(0)
    expect(receiver.pushes).toEqual([])

    receiver.hold = null
    release()
    const seqs = await eventually(
      async () => [...new Set(receiver.pushes.map((p) => p.body.seq))].sort((a, b) => a - b),
      (seen) => seen.length === count,
      30_000
    )
    expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i + 1))
    expect(receiver.pushes.every((p) => p.body.recipients.join() === 'carol')).toBe(true)
    expect(receiver.maxOpen).toBeGreaterThan(0)
    expect(receiver.maxOpen).toBeLessThanOrEqual(2)
    expect(receiver.rejected).toEqual([])
  })

  it('a node stopped while its POSTs hang keeps them pending and pushes them after its restart', async () => {
    const dir = await makeTempDir()
    const env = { MQCHAT_PUSH_URL: receiver.url, MQCHAT_PUSH_SECRET: SECRET, MQCHAT_PUSH_RETRY_MS: '20' }
    const first = await startTestNode(env, dir.path)
    const rest = restClient(first.httpUrl)
    const dan = await rest.register('dan')
    await rest.register('eve')
    const room = (await rest.createRoom(dan.token, 'stopping', ['eve'])).id
    let release = () => {}
    receiver.hold = new Promise((resolve) => {
      release = resolve
    })
    for (let i = 1; i <= 3; i++)
      expect((await rest.call('POST', `/v1/rooms/${room}/messages`, { body: `m${i}` }, dan.token)).status).toBe(201)
    // POSTs are open and hanging (the default timeout is 5 s) when the node stops
    await eventually(
      async () => receiver.open,
      (open) => open > 0
    )
    await first.close()
    receiver.hold = null
    release()
    const second = await startTestNode(env, dir.path)
    try {
      const seqs = await eventually(
        async () => [...new Set(receiver.pushes.filter((p) => p.body.room === room).map((p) => p.body.seq))].sort((a, b) => a - b),
        (seen) => seen.length === 3,
        15_000
      )
      expect(seqs).toEqual([1, 2, 3])
    } finally {
      await second.destroy()
    }
  })
})
