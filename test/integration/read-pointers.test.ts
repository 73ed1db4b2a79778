import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

type User = { id: string; token: string }

/** Where the scenario runs: two MQTT endpoints (two nodes in a cluster, the same node embedded) and the REST API. */
interface Setup {
  mqttUrls: [string, string]
  httpUrl: string
}

const inbox = (user: User) => `users/${user.id}/inbox`

function describeReadPointers(name: string, start: () => Promise<Setup>, stop: () => Promise<void>) {
  describe(`read pointers, unread counts, receipts, mentions, room presence (${name})`, () => {
    let setup: Setup
    let rest: ReturnType<typeof restClient>
    let alice: User
    let bob: User
    let carol: User
    let mallory: User
    let room: string
    let side: string
    let alicePhone: TestClient
    let bobPhone: TestClient
    let bobLaptop: TestClient
    let carolPhone: TestClient
    let malloryPhone: TestClient
    let sent = 0

    beforeAll(async () => {
      setup = await start()
      rest = restClient(setup.httpUrl)
      alice = await rest.register('alice')
      bob = await rest.register('bob')
      carol = await rest.register('carol')
      mallory = await rest.register('mallory')
      room = (await rest.createRoom(alice.token, 'general', [bob.id, carol.id])).id
      side = (await rest.createRoom(alice.token, 'side', [mallory.id])).id
      const device = async (user: User, url: string) => {
        const client = await connectClient(url, user.token)
        await client.client.subscribeAsync(inbox(user), { qos: 1 })
        return client
      }
      alicePhone = await device(alice, setup.mqttUrls[0])
      // bob's two devices sit on different nodes (in the cluster)
      bobPhone = await device(bob, setup.mqttUrls[0])
      bobLaptop = await device(bob, setup.mqttUrls[1])
      carolPhone = await device(carol, setup.mqttUrls[1])
      malloryPhone = await device(mallory, setup.mqttUrls[0])
    })
    afterAll(async () => {
      await Promise.all([alicePhone, bobPhone, bobLaptop, carolPhone, malloryPhone].map((c) => c?.client.endAsync(true)))
      await stop()
    })

    /** Resolves on the PUBACK: the message is sequenced and counted. */
    const send = (client: TestClient, roomId: string, body: string) =>
      client.client.publishAsync(`rooms/${roomId}/messages`, JSON.stringify({ id: `m${++sent}`, body }), { qos: 1 })
    const roomOf = async (user: User, roomId = room) => {
      const response = await rest.call('GET', '/v1/rooms', undefined, user.token)
      expect(response.status).toBe(200)
      return response.body.rooms.find((r: { id: string }) => r.id === roomId)
    }
    const counts = async (user: User, roomId = room) => {
      const { lastSeq, readSeq, unread, mentions } = await roomOf(user, roomId)
      return { lastSeq, readSeq, unread, mentions }
    }
    const notices = (client: TestClient, user: User, type: string) => client.on(inbox(user)).filter((n) => n.type === type)
    /** Waits for `count` notices of `type` on the user's inbox and answers them all. */
    const waitForNotices = (client: TestClient, user: User, type: string, count = 1) =>
      eventually(
        async () => notices(client, user, type),
        (found) => found.length >= count
      )

    it('counts messages from others after the read pointer, never your own', async () => {
      await send(alicePhone, room, 'one')
      await send(alicePhone, room, 'two')
      await send(bobPhone, room, 'mine')
      await send(alicePhone, room, 'three')
      expect(await counts(bob)).toEqual({ lastSeq: 4, readSeq: 0, unread: 3, mentions: 0 })
      expect(await counts(alice)).toEqual({ lastSeq: 4, readSeq: 0, unread: 1, mentions: 0 })
      expect(await counts(carol)).toEqual({ lastSeq: 4, readSeq: 0, unread: 4, mentions: 0 })
    })

    it('a read receipt on one device clears the badge on the other, on another node', async () => {
      await bobLaptop.client.publishAsync(`rooms/${room}/receipts`, JSON.stringify({ seq: 2, kind: 'read' }), { qos: 1 })
      const [notice] = await bobPhone.waitFor(inbox(bob))
      expect(notice).toEqual({ type: 'read', room, seq: 2 })
      expect(await counts(bob)).toEqual({ lastSeq: 4, readSeq: 2, unread: 1, mentions: 0 })
      // a `delivered` receipt moves no read pointer
      await bobLaptop.client.publishAsync(`rooms/${room}/receipts`, JSON.stringify({ seq: 4, kind: 'delivered' }), { qos: 1 })
      expect((await counts(bob)).readSeq).toBe(2)

      const put = await rest.call('PUT', `/v1/rooms/${room}/read`, { seq: 4 }, bob.token)
      expect(put.status).toBe(200)
      expect(put.body).toEqual({ room, readSeq: 4 })
      expect((await waitForNotices(bobPhone, bob, 'read', 2)).at(-1)).toEqual({ type: 'read', room, seq: 4 })
      expect((await waitForNotices(bobLaptop, bob, 'read', 2)).at(-1)).toEqual({ type: 'read', room, seq: 4 })
      expect(await counts(bob)).toEqual({ lastSeq: 4, readSeq: 4, unread: 0, mentions: 0 })
      // another user's pointer is their own
      expect((await counts(carol)).unread).toBe(4)
    })

    it('never moves a pointer back, nor past the last message', async () => {
      const back = await rest.call('PUT', `/v1/rooms/${room}/read`, { seq: 1 }, bob.token)
      expect(back.body).toEqual({ room, readSeq: 4 })
      await bobPhone.client.publishAsync(`rooms/${room}/receipts`, JSON.stringify({ seq: 0, kind: 'read' }), { qos: 1 })
      expect((await counts(bob)).readSeq).toBe(4)
      const ahead = await rest.call('PUT', `/v1/rooms/${room}/read`, { seq: 1_000 }, carol.token)
      expect(ahead.body).toEqual({ room, readSeq: 4 })
      // a pointer parked past the end would hide the next message
      await send(alicePhone, room, 'four')
      expect(await counts(carol)).toEqual({ lastSeq: 5, readSeq: 4, unread: 1, mentions: 0 })
      expect(await counts(bob)).toEqual({ lastSeq: 5, readSeq: 4, unread: 1, mentions: 0 })
    })

    it('lists who has read how far to members only', async () => {
      const receipts = await rest.call('GET', `/v1/rooms/${room}/receipts`, undefined, alice.token)
      expect(receipts.status).toBe(200)
      expect(receipts.body).toEqual({
        receipts: [
          { userId: bob.id, readSeq: 4 },
          { userId: carol.id, readSeq: 4 }
        ]
      })
      const stranger = await rest.call('GET', `/v1/rooms/${room}/receipts`, undefined, mallory.token)
      expect(stranger.status).toBe(404)
      expect(stranger.body.code).toBe('unknown_room')
      expect((await rest.call('PUT', `/v1/rooms/${room}/read`, { seq: 1 }, mallory.token)).status).toBe(404)
      expect((await rest.call('PUT', `/v1/rooms/${room}/read`, { seq: -1 }, bob.token)).status).toBe(400)
    })

    it('notifies and counts mentions of members, not of strangers or the sender', async () => {
      await send(alicePhone, room, `hi @${bob.id}, @${carol.id}, @${mallory.id} and @${alice.id}; mail@${bob.id} is no mention`)
      const mention = { type: 'mention', room, seq: 6, from: alice.id }
      expect(await waitForNotices(bobPhone, bob, 'mention')).toEqual([mention])
      expect(await waitForNotices(bobLaptop, bob, 'mention')).toEqual([mention])
      expect(await waitForNotices(carolPhone, carol, 'mention')).toEqual([mention])
      expect(await counts(bob)).toEqual({ lastSeq: 6, readSeq: 4, unread: 2, mentions: 1 })
      expect(await counts(alice)).toEqual({ lastSeq: 6, readSeq: 0, unread: 1, mentions: 0 })

      // a later mention of mallory (in a room she is in) is her first and only one: the one above never came
      await send(alicePhone, side, `@${mallory.id} over here`)
      expect(await waitForNotices(malloryPhone, mallory, 'mention')).toEqual([{ type: 'mention', room: side, seq: 1, from: alice.id }])
      expect(await counts(mallory, side)).toEqual({ lastSeq: 1, readSeq: 0, unread: 1, mentions: 1 })
      // likewise alice's first mention is carol's, not her own
      await send(carolPhone, room, `@${alice.id} seen?`)
      expect(await waitForNotices(alicePhone, alice, 'mention')).toEqual([{ type: 'mention', room, seq: 7, from: carol.id }])

      // reading past a mention clears it
      await rest.call('PUT', `/v1/rooms/${room}/read`, { seq: 6 }, bob.token)
      expect(await counts(bob)).toEqual({ lastSeq: 7, readSeq: 6, unread: 1, mentions: 0 })
      // only moves were announced: the attempts to move back sent no notice before the move to 6
      const moves = (await waitForNotices(bobPhone, bob, 'read', 3)).map((notice) => notice.seq)
      expect(moves).toEqual([2, 4, 6])
    })

    it('does not count edits and reactions as unread, nor an edit that names someone as a mention', async () => {
      const relation = (client: TestClient, entry: Record<string, unknown>) =>
        client.client.publishAsync(`rooms/${room}/messages`, JSON.stringify({ id: `m${++sent}`, ...entry }), { qos: 1 })
      await relation(alicePhone, { type: 'edit', target: 6, body: `now @${bob.id} twice` })
      await relation(carolPhone, { type: 'reaction', target: 6, key: '👍', op: 'add' })
      expect(await counts(bob)).toEqual({ lastSeq: 9, readSeq: 6, unread: 1, mentions: 0 })
      expect(await counts(alice)).toEqual({ lastSeq: 9, readSeq: 0, unread: 2, mentions: 1 })
      expect(await counts(carol)).toEqual({ lastSeq: 9, readSeq: 4, unread: 2, mentions: 1 })
      expect(notices(bobPhone, bob, 'mention')).toHaveLength(1)
    })

    it('lists the members online now, on any node', async () => {
      const online = async () => (await rest.call('GET', `/v1/rooms/${room}/presence`, undefined, carol.token)).body.online.sort()
      expect(await online()).toEqual([alice.id, bob.id, carol.id].sort())
      expect((await rest.call('GET', `/v1/rooms/${room}/presence`, undefined, mallory.token)).status).toBe(404)
      await bobPhone.end()
      // bob's laptop on the other node keeps him online
      expect(await online()).toEqual([alice.id, bob.id, carol.id].sort())
      await bobLaptop.end()
      await eventually(online, (ids) => !ids.includes(bob.id))
      expect(await online()).toEqual([alice.id, carol.id].sort())
    })
  })
}

const limits = { MQCHAT_RATE_LIMIT_PER_SECOND: '0' }

let node: TestNode
describeReadPointers(
  'embedded',
  async () => {
    node = await startTestNode(limits)
    return { mqttUrls: [node.mqttUrl, node.mqttUrl], httpUrl: node.httpUrl }
  },
  () => node.destroy()
)

let cluster: TestCluster
describeReadPointers(
  'cluster',
  async () => {
    cluster = await startTestCluster(limits)
    const [a, b, bridge] = [await cluster.start('broker'), await cluster.start('broker'), await cluster.start('bridge')]
    return { mqttUrls: [a.mqttUrl, b.mqttUrl], httpUrl: bridge.httpUrl }
  },
  () => cluster.stop()
)
