import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { type RestResponse, restClient } from '../helpers/rest.js'

type User = { id: string; token: string }

/**
 * A chat message whose `meta` nests `levels` arrays: 8,100 levels fit in 16 KiB, and
 * `JSON.stringify` overflows the stack on it (issue 6, item 4). Built as text: the test
 * process could not stringify it either.
 */
function deepMessage(id: string, levels: number, where: 'meta' | 'attachments' | 'extra' = 'meta'): string {
  const deep = `${'['.repeat(levels)}${']'.repeat(levels)}`
  const field = where === 'attachments' ? `[{"a":${deep}}]` : where === 'meta' ? `{"a":${deep}}` : deep
  return `{"id":"${id}","body":"x","${where}":${field}}`
}

function expectProblem(response: RestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status)
  expect(response.contentType).toMatch(/^application\/problem\+json/)
  expect(response.body).toMatchObject({ status, code })
}

describe('a poisoned message is refused alone and never touches anyone else', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  let mallory: User
  let carol: User
  let dave: User
  let malloryRoom: string
  let otherRoom: string
  const clients: TestClient[] = []
  let closes = 0

  beforeAll(async () => {
    node = await startTestNode()
    rest = restClient(node.httpUrl)
    mallory = await rest.register('mallory')
    carol = await rest.register('carol')
    dave = await rest.register('dave')
    malloryRoom = (await rest.createRoom(mallory.token, 'mallory alone')).id
    otherRoom = (await rest.createRoom(carol.token, 'elsewhere', ['dave'])).id
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
  })

  async function connect(token: string): Promise<TestClient> {
    const client = await connectClient(node.mqttUrl, token)
    client.client.on('close', () => {
      closes += 1
    })
    clients.push(client)
    return client
  }

  it('over MQTT: 8,100-deep meta is rejected with a notice while 150 sends in another room over 5 connections are all acknowledged', async () => {
    const attacker = await connect(mallory.token)
    await attacker.client.subscribeAsync(`users/${mallory.id}/inbox`, { qos: 1 })
    const watcher = await connect(dave.token)
    await watcher.client.subscribeAsync(`rooms/${otherRoom}/messages`, { qos: 1 })
    const senders = await Promise.all(Array.from({ length: 5 }, () => connect(carol.token)))
    const poison = Array.from({ length: 10 }, (_, i) => deepMessage(`deep-${i}`, 8100))
    expect(Buffer.byteLength(poison[0] as string)).toBeLessThanOrEqual(16 * 1024)

    // interleaved, so that poisoned and good messages share the chat log's group commits
    const sends: Promise<unknown>[] = []
    for (let i = 0; i < 30; i++) {
      for (const [n, sender] of senders.entries()) {
        const payload = JSON.stringify({ id: `c-${n}-${i}`, body: `message ${n}/${i}` })
        sends.push(sender.client.publishAsync(`rooms/${otherRoom}/messages`, payload, { qos: 1 }))
      }
      if (i % 3 === 0) sends.push(attacker.client.publishAsync(`rooms/${malloryRoom}/messages`, poison[i / 3] as string, { qos: 1 }))
    }
    await Promise.all(sends)

    const delivered = await watcher.waitFor(`rooms/${otherRoom}/messages`, 150, 15_000)
    expect(delivered.map((m) => m.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1))
    expect(new Set(delivered.map((m) => m.id)).size).toBe(150)
    const notices = await attacker.waitFor(`users/${mallory.id}/inbox`, 10)
    for (const [i, notice] of notices.entries()) {
      expect(notice).toEqual({
        type: 'rejected',
        id: `deep-${i}`,
        room: malloryRoom,
        reason: 'invalid_message',
        message: expect.stringMatching(/meta/)
      })
    }
    expect(closes).toBe(0)
    expect([attacker, watcher, ...senders].every((c) => c.client.connected)).toBe(true)
    expect(await rest.history(mallory.token, malloryRoom)).toEqual([])
    const history = await eventually(
      () => rest.history(dave.token, otherRoom, '?limit=200'),
      (messages) => messages.length === 150
    )
    expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 150 }, (_, i) => 150 - i))
  })

  it('a meta or attachment 9 levels deep is refused; 8 levels are accepted (positive boundary)', async () => {
    const attacker = await connect(mallory.token)
    await attacker.client.subscribeAsync([`users/${mallory.id}/inbox`, `rooms/${malloryRoom}/messages`], { qos: 1 })
    // meta {"a": 7 arrays} is 8 levels; one more array is 9
    await attacker.client.publishAsync(`rooms/${malloryRoom}/messages`, deepMessage('nine', 8), { qos: 1 })
    await attacker.client.publishAsync(`rooms/${malloryRoom}/messages`, deepMessage('nine-att', 8, 'attachments'), { qos: 1 })
    const notices = await attacker.waitFor(`users/${mallory.id}/inbox`, 2)
    expect(notices.map((n) => [n.id, n.reason])).toEqual([
      ['nine', 'invalid_message'],
      ['nine-att', 'invalid_message']
    ])
    await attacker.client.publishAsync(`rooms/${malloryRoom}/messages`, deepMessage('eight', 7), { qos: 1 })
    await attacker.client.publishAsync(`rooms/${malloryRoom}/messages`, deepMessage('eight-att', 7, 'attachments'), { qos: 1 })
    const accepted = await attacker.waitFor(`rooms/${malloryRoom}/messages`, 2)
    expect(accepted.map((m) => [m.id, m.seq])).toEqual([
      ['eight', 1],
      ['eight-att', 2]
    ])
    expect(attacker.on(`users/${mallory.id}/inbox`)).toHaveLength(2)
  })

  it('too many values or an overlong key in meta -> invalid_message', async () => {
    const attacker = await connect(mallory.token)
    await attacker.client.subscribeAsync(`users/${mallory.id}/inbox`, { qos: 1 })
    const wide = JSON.stringify({ id: 'wide', body: 'x', meta: { a: Array.from({ length: 300 }, () => 0) } })
    const longKey = JSON.stringify({ id: 'long-key', body: 'x', meta: { ['k'.repeat(129)]: 1 } })
    await attacker.client.publishAsync(`rooms/${malloryRoom}/messages`, wide, { qos: 1 })
    await attacker.client.publishAsync(`rooms/${malloryRoom}/messages`, longKey, { qos: 1 })
    const notices = await attacker.waitFor(`users/${mallory.id}/inbox`, 2)
    expect(notices.map((n) => [n.id, n.reason])).toEqual([
      ['wide', 'invalid_message'],
      ['long-key', 'invalid_message']
    ])
  })

  it('over REST: the deep payload answers 400 invalid_message, never 500, and the next send is stored', async () => {
    const path = `/v1/rooms/${malloryRoom}/messages`
    for (const where of ['meta', 'attachments', 'extra'] as const) {
      const response = await rest.call('POST', path, undefined, mallory.token, deepMessage(`rest-${where}`, 8100, where))
      expectProblem(response, 400, 'invalid_message')
    }
    const fine = await rest.call('POST', path, { id: 'rest-fine', body: 'still works', meta: { a: [[1]] } }, mallory.token)
    expect(fine.status).toBe(201)
    expect(fine.body).toMatchObject({ id: 'rest-fine', from: 'mallory', meta: { a: [[1]] } })
  })
})
