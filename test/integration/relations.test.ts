import { Redis } from 'ioredis'
import { MongoClient } from 'mongodb'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, type TestClient, wrap } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

type User = { id: string; token: string }

interface Deployment {
  /** Two MQTT entry points: two broker nodes in a cluster, the one node twice embedded. */
  mqttUrls: [string, string]
  httpUrl: string
  /** What the backing stores hold for the room outside any API (Redis room stream and MongoDB), as text. */
  rawStores?(roomId: string): Promise<string>
}

/** Edits, deletes and reactions (issue 9 part 1, SPEC §4b) against one deployment, over real sockets. */
function describeRelations(name: string, deploy: () => Promise<{ deployment: Deployment; stop(): Promise<void> }>) {
  describe(`edits, deletes and reactions: ${name}`, () => {
    let deployment: Deployment
    let stop: () => Promise<void>
    let rest: ReturnType<typeof restClient>
    let alice: User
    let bob: User
    let carol: User
    let roomId: string
    const clients: TestClient[] = []

    beforeAll(async () => {
      ;({ deployment, stop } = await deploy())
      rest = restClient(deployment.httpUrl)
      alice = await rest.register('alice')
      bob = await rest.register('bob')
      carol = await rest.register('carol')
      roomId = (await rest.createRoom(alice.token, 'relations', ['bob', 'carol'])).id
    }, 60_000)
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.end()))
      await stop()
    })

    const topic = () => `rooms/${roomId}/messages`
    const connect = async (url: string, user: User, options = {}) => {
      const client = await connectClient(url, user.token, options)
      clients.push(client)
      await client.client.subscribeAsync([topic(), `users/${user.id}/inbox`], { qos: 1 })
      return client
    }
    const publish = (client: TestClient, message: object) => client.client.publishAsync(topic(), JSON.stringify(message), { qos: 1 })
    const messages = (seq?: number, suffix = '') => `/v1/rooms/${roomId}/messages${seq === undefined ? '' : `/${seq}`}${suffix}`
    const call = (method: string, path: string, user: User, body?: unknown, idempotencyKey?: string) =>
      fetch(`${deployment.httpUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${user.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {})
        },
        body: body === undefined ? undefined : JSON.stringify(body)
      }).then(async (response) => ({ status: response.status, body: await response.json() }))
    const secrets = /original secret|edited secret|bob's secret|bob edited secret/

    it('sequences edits, reactions and deletes from MQTT and REST, delivers them in order everywhere and shows the current state', async () => {
      // bob's persistent session subscribes, then is away for everything that follows
      const bobAway = wrap(
        mqtt.connect(deployment.mqttUrls[0], {
          username: 'u',
          password: bob.token,
          clientId: `bob-${name}`,
          clean: false,
          reconnectPeriod: 0
        })
      )
      await new Promise((resolve) => bobAway.client.once('connect', resolve))
      await bobAway.client.subscribeAsync(topic(), { qos: 1 })
      await bobAway.end()

      const aliceClient = await connect(deployment.mqttUrls[0], alice)
      const carolClient = await connect(deployment.mqttUrls[1], carol)
      await publish(aliceClient, { id: 'm1', body: 'original secret' })
      expect((await call('POST', messages(), bob, { id: 'm2', body: "bob's secret" })).status).toBe(201)
      await publish(aliceClient, { id: 'e1', type: 'edit', target: 1, body: 'edited secret' })
      const like = await call('PUT', messages(1, `/reactions/${encodeURIComponent('👍')}`), bob, undefined, 'bob-like-1')
      expect(like).toMatchObject({ status: 201, body: { seq: 4, type: 'reaction', target: 1, key: '👍', op: 'add', from: 'bob' } })
      // the same Idempotency-Key again: the same entry, not a second one
      const likeAgain = await call('PUT', messages(1, `/reactions/${encodeURIComponent('👍')}`), bob, undefined, 'bob-like-1')
      expect(likeAgain).toMatchObject({ status: 200, body: { seq: 4, id: 'bob-like-1' } })
      await publish(carolClient, { id: 'c1', type: 'reaction', target: 1, key: '👍', op: 'add' })
      await publish(carolClient, { id: 'c2', type: 'reaction', target: 1, key: '🎉', op: 'add' })
      // carol's second add of 👍 is sequenced but changes nothing (set semantics)
      await publish(carolClient, { id: 'c3', type: 'reaction', target: 1, key: '👍', op: 'add' })
      expect((await call('DELETE', messages(1, `/reactions/${encodeURIComponent('🎉')}`), carol)).status).toBe(201)
      const edit = await call('PATCH', messages(2), bob, { body: 'bob edited secret' })
      expect(edit).toMatchObject({ status: 201, body: { seq: 9, type: 'edit', target: 2, body: 'bob edited secret' } })

      for (const client of [aliceClient, carolClient]) {
        const seen = await client.waitFor(topic(), 9)
        expect(seen.map((m) => [m.seq, m.type, m.target ?? null])).toEqual([
          [1, 'text', null],
          [2, 'text', null],
          [3, 'edit', 1],
          [4, 'reaction', 1],
          [5, 'reaction', 1],
          [6, 'reaction', 1],
          [7, 'reaction', 1],
          [8, 'reaction', 1],
          [9, 'edit', 2]
        ])
      }
      const state = await eventually(
        () => rest.history(carol.token, roomId, '?after=0'),
        (page) => page.length === 9 && page[0]?.reactions !== undefined && page[1]?.edited !== undefined
      )
      expect(state.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(state[0]).toMatchObject({
        seq: 1,
        from: 'alice',
        body: 'edited secret',
        edited: state[2]?.ts,
        reactions: { '👍': ['bob', 'carol'] }
      })
      expect(state[1]).toMatchObject({ seq: 2, body: 'bob edited secret', edited: state[8]?.ts })
      expect(state[0]).not.toHaveProperty('deleted')

      // the room's creator deletes bob's message over MQTT, alice her own over REST
      await publish(aliceClient, { id: 'd2', type: 'delete', target: 2 })
      const removal = await call('DELETE', messages(1), alice)
      expect(removal).toMatchObject({ status: 201, body: { seq: 11, type: 'delete', target: 1, body: '' } })
      for (const client of [aliceClient, carolClient]) {
        const seen = await client.waitFor(topic(), 11)
        expect(seen.slice(9).map((m) => [m.seq, m.type, m.target])).toEqual([
          [10, 'delete', 2],
          [11, 'delete', 1]
        ])
      }

      // at once (the persister may not have stored the deletes yet) and once stored: no deleted body in any answer
      for (const page of [await rest.history(carol.token, roomId, '?after=0'), await rest.history(carol.token, roomId)]) {
        expect(page).toHaveLength(11)
        expect(JSON.stringify(page)).not.toMatch(secrets)
      }
      const settled = await eventually(
        () => rest.history(carol.token, roomId, '?after=0'),
        (page) => page[0]?.deleted === true && page[1]?.deleted === true && !JSON.stringify(page).match(secrets)
      )
      expect(settled[0]).toEqual({
        id: 'm1',
        room: roomId,
        seq: 1,
        from: 'alice',
        ts: expect.any(Number),
        type: 'text',
        body: '',
        deleted: true
      })
      expect(settled[2]).toMatchObject({ seq: 3, type: 'edit', target: 1, body: '' })
      const { rawStores } = deployment
      if (rawStores) {
        await eventually(
          () => rawStores(roomId),
          (raw) => raw.includes('"deleted":true') && !secrets.test(raw)
        )
      }

      // a client recovering with after=<seq> gets the relation entries it missed, deletes included
      const missed = await rest.history(bob.token, roomId, '?after=8')
      expect(missed.map((m) => [m.seq, m.type])).toEqual([
        [9, 'edit'],
        [10, 'delete'],
        [11, 'delete']
      ])
      expect(JSON.stringify(missed)).not.toMatch(secrets)

      // bob's persistent session comes back: the replay is every entry in seq order, the deleted ones as tombstones
      const bobBack = wrap(
        mqtt.connect(deployment.mqttUrls[0], {
          username: 'u',
          password: bob.token,
          clientId: `bob-${name}`,
          clean: false,
          reconnectPeriod: 0
        })
      )
      clients.push(bobBack)
      const replayed = await bobBack.waitFor(topic(), 11)
      expect(replayed.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
      expect(replayed[0]).toMatchObject({ seq: 1, deleted: true, body: '' })
      expect(JSON.stringify(replayed)).not.toMatch(secrets)
    })

    it("in a direct room, whoever opened it may not delete the other's messages (not_author); each deletes their own", async () => {
      const direct = await call('POST', '/v1/rooms', carol, { kind: 'direct', members: ['bob'] })
      expect(direct.status).toBe(201)
      const dm = direct.body.id as string
      const path = (seq?: number) => `/v1/rooms/${dm}/messages${seq === undefined ? '' : `/${seq}`}`
      const bobs = await call('POST', path(), bob, { id: 'dm-b1', body: 'bob in private' })
      expect(bobs.status).toBe(201)
      expect((await call('DELETE', path(bobs.body.seq), carol)).body).toMatchObject({ status: 403, code: 'not_author' })
      expect((await call('DELETE', path(bobs.body.seq), bob)).status).toBe(201)
    })

    it('refuses relations by the wrong user or to a wrong target, over MQTT and REST, and delivers none of them', async () => {
      const aliceClient = await connect(deployment.mqttUrls[0], alice)
      const carolClient = await connect(deployment.mqttUrls[1], carol)
      const base = (await rest.history(alice.token, roomId))[0]?.seq ?? 0
      expect((await call('POST', messages(), bob, { id: 'm3', body: 'bob again' })).status).toBe(201)
      const bobsSeq = base + 1
      const refusedOverMqtt: [TestClient, object][] = [
        [aliceClient, { id: 'x1', type: 'edit', target: bobsSeq, body: 'not yours' }],
        [carolClient, { id: 'x2', type: 'delete', target: bobsSeq }],
        [aliceClient, { id: 'x3', type: 'edit', target: 1, body: 'deleted already' }],
        [carolClient, { id: 'x4', type: 'reaction', target: 3, key: '👍', op: 'add' }],
        [carolClient, { id: 'x5', type: 'reaction', target: 999, key: '👍', op: 'add' }],
        [carolClient, { id: 'x6', type: 'reaction', target: bobsSeq, key: 'has space', op: 'add' }]
      ]
      for (const [client, message] of refusedOverMqtt) await publish(client, message)
      const notices = [
        ...(await aliceClient.waitFor(`users/${alice.id}/inbox`, 2)),
        ...(await carolClient.waitFor(`users/${carol.id}/inbox`, 4))
      ]
      expect(notices.map((n) => [n.id, n.reason])).toEqual([
        ['x1', 'not_author'],
        ['x3', 'bad_target'],
        ['x2', 'not_author'],
        ['x4', 'bad_target'],
        ['x5', 'bad_target'],
        ['x6', 'invalid_message']
      ])
      expect((await call('PATCH', messages(bobsSeq), alice, { body: 'not yours' })).body).toMatchObject({ status: 403, code: 'not_author' })
      expect((await call('DELETE', messages(bobsSeq), carol)).body).toMatchObject({ status: 403, code: 'not_author' })
      expect((await call('DELETE', messages(1), alice)).body).toMatchObject({ status: 422, code: 'bad_target' })
      expect((await call('PUT', messages(4, '/reactions/ok'), carol)).body).toMatchObject({ status: 422, code: 'bad_target' })
      expect((await call('PATCH', messages(bobsSeq), bob, { body: '' })).body).toMatchObject({ status: 400, code: 'invalid_message' })

      // positive control: bob edits his own message; it is the next seq, right after his send
      expect((await call('PATCH', messages(bobsSeq), bob, { body: 'bob, edited' })).body).toMatchObject({
        seq: bobsSeq + 1,
        target: bobsSeq
      })
      const seen = await carolClient.waitFor(topic(), 2)
      expect(seen.map((m) => [m.seq, m.type])).toEqual([
        [bobsSeq, 'text'],
        [bobsSeq + 1, 'edit']
      ])
    })
  })
}

describeRelations('embedded node', async () => {
  const node: TestNode = await startTestNode({ MQCHAT_RATE_LIMIT_PER_SECOND: '0' })
  return {
    deployment: { mqttUrls: [node.mqttUrl, node.mqttUrl], httpUrl: node.httpUrl },
    stop: () => node.destroy()
  }
})

describeRelations('cluster of two brokers and a bridge', async () => {
  const cluster: TestCluster = await startTestCluster({ MQCHAT_RATE_LIMIT_PER_SECOND: '0' })
  const brokers = [await cluster.start('broker'), await cluster.start('broker')]
  const bridge = await cluster.start('bridge')
  const redis = new Redis(cluster.redis.url)
  const mongo = new MongoClient(cluster.mongo.url)
  return {
    deployment: {
      mqttUrls: [brokers[0]?.mqttUrl as string, brokers[1]?.mqttUrl as string],
      httpUrl: bridge.httpUrl,
      async rawStores(roomId) {
        const stream = await redis.xrange(`mqchat:room:${roomId}`, '-', '+')
        const tombstones = await redis.hgetall(`mqchat:tomb:${roomId}`)
        const documents = await mongo.db(cluster.database).collection('messages').find({ room: roomId }).toArray()
        return JSON.stringify({ stream, tombstones, documents })
      }
    },
    async stop() {
      redis.disconnect()
      await mongo.close()
      await cluster.stop()
    }
  }
})
