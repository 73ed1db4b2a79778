import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directRoomId } from '../../api/routes/rooms.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, subscribeCodes, type TestClient } from '../helpers/mqtt.js'
import { type RestResponse, restClient } from '../helpers/rest.js'

type User = { id: string; token: string }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A response with the room id masked, so that answers about different ids compare equal. */
function masked(response: RestResponse, roomId: string): unknown {
  return {
    status: response.status,
    contentType: response.contentType,
    body: JSON.parse(JSON.stringify(response.body).replaceAll(roomId, 'ROOM'))
  }
}

/**
 * Issue 6, item 8: 403 for a room that exists versus 404 for one that does not, plus the
 * derivable id of a direct room, told a stranger who has a direct room with whom; room creation
 * named the members that do not exist.
 */
describe('a stranger cannot tell whether a room or a user exists', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  let alice: User
  let bob: User
  let mallory: User
  let targets: Record<string, string>
  const clients: TestClient[] = []

  beforeAll(async () => {
    node = await startTestNode()
    rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    bob = await rest.register('bob')
    mallory = await rest.register('mallory')
    const direct = await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['bob'] }, alice.token)
    expect(direct.body.id).toBe(directRoomId('alice', 'bob'))
    targets = {
      'a direct room that exists': directRoomId('alice', 'bob'),
      'a direct room that does not': directRoomId('alice', 'nobody-at-all'),
      'a group room that exists': (await rest.createRoom(alice.token, 'secret plans', ['bob'])).id,
      'a group room that does not': 'r_AAAAAAAAAAAAAAAAAAAAAAAA'
    }
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()))
    await node.destroy()
  })

  it('REST: every room route answers a non-member the same 404 for rooms that exist and rooms that do not', async () => {
    const answers: Record<string, unknown[]> = {}
    for (const [what, id] of Object.entries(targets)) {
      const calls = [
        rest.call('GET', `/v1/rooms/${id}`, undefined, mallory.token),
        rest.call('GET', `/v1/rooms/${id}/messages`, undefined, mallory.token),
        rest.call('POST', `/v1/rooms/${id}/messages`, { id: 'probe-1', body: 'hi' }, mallory.token),
        rest.call('POST', `/v1/rooms/${id}/members`, { userId: 'mallory' }, mallory.token),
        rest.call('DELETE', `/v1/rooms/${id}/members/mallory`, undefined, mallory.token)
      ]
      answers[what] = (await Promise.all(calls)).map((response) => masked(response, id))
    }
    const [first, ...others] = Object.values(answers)
    for (const answer of first as { status: number; body: { code: string } }[]) {
      expect(answer).toMatchObject({ status: 404, body: { code: 'unknown_room' } })
    }
    for (const other of others) expect(other).toEqual(first)
    // positive control: a member reads the room that exists
    expect((await rest.call('GET', `/v1/rooms/${targets['a direct room that exists']}`, undefined, bob.token)).status).toBe(200)
  })

  it('MQTT: a send gets the same unknown_room notice, a subscription the same refusal', async () => {
    const client = await connectClient(node.mqttUrl, mallory.token)
    clients.push(client)
    await client.client.subscribeAsync(`users/${mallory.id}/inbox`, { qos: 1 })
    const notices: unknown[] = []
    for (const id of Object.values(targets)) {
      expect(await subscribeCodes(client.client, [`rooms/${id}/messages`, `rooms/${id}/events`])).toEqual([128, 128])
      const seen = client.on(`users/${mallory.id}/inbox`).length
      await client.client.publishAsync(`rooms/${id}/messages`, JSON.stringify({ id: 'probe-1', body: 'hi' }), { qos: 1 })
      const [notice] = (await client.waitFor(`users/${mallory.id}/inbox`, seen + 1)).slice(seen)
      notices.push(JSON.parse(JSON.stringify(notice).replaceAll(id, 'ROOM')))
    }
    expect(notices[0]).toEqual({ type: 'rejected', id: 'probe-1', room: 'ROOM', reason: 'unknown_room', message: 'room ROOM not found' })
    for (const notice of notices) expect(notice).toEqual(notices[0])
    await sleep(200)
    expect(client.client.connected).toBe(true)
  })

  it('room creation with unknown members answers 422 cannot_add without naming anyone', async () => {
    const cases = [
      { name: 'x', members: ['ghost-one'] },
      { name: 'x', members: ['alice', 'ghost-two'] },
      { kind: 'direct', members: ['ghost-three'] }
    ]
    const answers = []
    for (const body of cases) {
      const response = await rest.call('POST', '/v1/rooms', body, mallory.token)
      expect(response.status, JSON.stringify(response.body)).toBe(422)
      expect(JSON.stringify(response.body)).not.toMatch(/ghost|alice/)
      answers.push(response.body)
    }
    for (const answer of answers) expect(answer).toEqual(answers[0])
    const room = await rest.createRoom(mallory.token, 'mine')
    const added = await rest.call('POST', `/v1/rooms/${room.id}/members`, { userId: 'ghost-four' }, mallory.token)
    expect(added.status).toBe(422)
    expect(added.body).toEqual(answers[0])
    // nothing was created by the refused requests
    expect(((await rest.call('GET', '/v1/rooms', undefined, mallory.token)).body.rooms as { id: string }[]).map((r) => r.id)).toEqual([
      room.id
    ])
  })
})
