import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { createAdmin } from '../../server/admin-command.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { closed, connectRefusal } from '../helpers/tokens.js'

const PASSWORD = 'correct horse battery'

describe('admin API and service keys on one node (issue 6 items 14, 15)', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>
  let removeDir: () => Promise<void>
  let admin: string
  let alice: { id: string; token: string }
  let bob: { id: string; token: string }
  let roomId: string
  const clients: TestClient[] = []
  const connect = async (url: string, token: string) => {
    const client = await connectClient(url, token)
    clients.push(client)
    return client
  }
  const createKey = async (name: string, scopes: string[]) => {
    const response = await rest.call('POST', '/v1/admin/keys', { name, scopes }, admin)
    expect(response.status, JSON.stringify(response.body)).toBe(201)
    return response.body as { id: string; key: string; serviceId: string }
  }

  beforeAll(async () => {
    const dir = await makeTempDir()
    removeDir = dir.remove
    // `mqchat admin create` writes to the data directory before the node runs (LevelDB has one owner)
    const config = parseConfig({ MQCHAT_DATA_DIR: dir.path, MQCHAT_LOG_LEVEL: 'silent' })
    const created = await createAdmin(config, createLogger('silent'), 'root')
    expect(created).toMatchObject({ userId: 'root', created: true, password: expect.any(String) })
    node = await startTestNode({}, dir.path)
    rest = restClient(node.httpUrl)
    const login = await rest.call('POST', '/v1/auth/login', { username: 'root', password: created.password })
    expect(login.status).toBe(200)
    admin = login.body.token
    alice = await rest.register('alice')
    bob = await rest.register('bob')
    roomId = (await rest.createRoom(alice.token, 'ops', ['bob'])).id
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
    await removeDir()
  })

  it('refuses users who are not admins, and requests without credentials', async () => {
    expect((await rest.call('GET', '/v1/admin/users', undefined, alice.token)).status).toBe(403)
    expect((await rest.call('POST', '/v1/admin/keys', { name: 'x', scopes: ['admin'] }, alice.token)).status).toBe(403)
    expect((await rest.call('POST', `/v1/admin/users/bob/ban`, undefined, alice.token)).status).toBe(403)
    expect((await rest.call('GET', '/v1/admin/users')).status).toBe(401)
  })

  it('lists, finds and creates users', async () => {
    const list = await rest.call('GET', '/v1/admin/users?limit=2', undefined, admin)
    expect(list.status).toBe(200)
    expect(list.body.users.map((u: { id: string }) => u.id)).toEqual(['alice', 'bob'])
    expect(list.body.next).toBe('bob')
    const found = await rest.call('GET', '/v1/admin/users?prefix=ro', undefined, admin)
    expect(found.body.users).toEqual([expect.objectContaining({ id: 'root', admin: true, banned: false })])
    expect(JSON.stringify(found.body)).not.toMatch(/passwordHash/)
    expect((await rest.call('GET', '/v1/admin/users/nobody', undefined, admin)).status).toBe(404)

    const created = await rest.call('POST', '/v1/admin/users', { username: 'carol', password: PASSWORD }, admin)
    expect(created.status).toBe(201)
    expect((await rest.call('POST', '/v1/auth/login', { username: 'carol', password: PASSWORD })).status).toBe(200)
  })

  it('lists a user’s live connections', async () => {
    const tcp = await connect(node.mqttUrl, bob.token)
    const ws = await connect(node.wsUrl, bob.token)
    const response = await rest.call('GET', '/v1/admin/users/bob/connections', undefined, admin)
    expect(response.status).toBe(200)
    expect(response.body.connections.map((c: { transport: string }) => c.transport).sort()).toEqual(['tcp', 'websocket'])
    expect(response.body.connections.map((c: { clientId: string }) => c.clientId).sort()).toEqual(
      [tcp.client.options.clientId, ws.client.options.clientId].sort()
    )
    await Promise.all([tcp.end(), ws.end()])
  })

  it('a history:read key reads any room but cannot send (403); it is no user', async () => {
    await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'm1', body: 'hello' }, alice.token)
    const { key } = await createKey('archiver', ['history:read'])
    expect(key).toMatch(/^mqk_[0-9a-f]{16}_[A-Za-z0-9_-]{32}$/)
    const history = await rest.call('GET', `/v1/rooms/${roomId}/messages`, undefined, key)
    expect(history.status).toBe(200)
    expect(history.body.messages.map((m: { body: string }) => m.body)).toEqual(['hello'])
    expect((await rest.call('POST', `/v1/rooms/${roomId}/messages`, { body: 'no' }, key)).status).toBe(403)
    expect((await rest.call('GET', '/v1/rooms', undefined, key)).status).toBe(403)
    expect((await rest.call('GET', '/v1/admin/users', undefined, key)).status).toBe(403)
    // the service id is reserved: nobody logs in or registers as it
    expect((await rest.call('POST', '/v1/auth/login', { username: 'svc_archiver', password: PASSWORD })).status).toBe(401)
    expect((await rest.call('POST', '/v1/auth/register', { username: 'svc_archiver', password: PASSWORD })).status).toBe(409)
  })

  it('a messages:write key sends into a room as svc_<name>, delivered over MQTT; it cannot read (403)', async () => {
    const { key } = await createKey('notifier', ['messages:write'])
    const listener = await connect(node.mqttUrl, bob.token)
    await listener.client.subscribeAsync(`rooms/${roomId}/messages`, { qos: 1 })
    const sent = await rest.call('POST', `/v1/rooms/${roomId}/messages`, { id: 'deploy-1', body: 'deployed' }, key)
    expect(sent.status).toBe(201)
    expect(sent.body).toMatchObject({ from: 'svc_notifier', room: roomId, body: 'deployed' })
    const [delivered] = await listener.waitFor(`rooms/${roomId}/messages`)
    expect(delivered).toMatchObject({ id: 'deploy-1', from: 'svc_notifier' })
    expect((await rest.call('GET', `/v1/rooms/${roomId}/messages`, undefined, key)).status).toBe(403)
    expect((await rest.call('POST', `/v1/rooms/no-such-room/messages`, { body: 'x' }, key)).status).toBe(404)
  })

  it('keys are shown once, listed without secrets, and refused at once when revoked', async () => {
    const { id, key } = await createKey('short-lived', ['history:read'])
    const list = await rest.call('GET', '/v1/admin/keys', undefined, admin)
    const listed = list.body.keys.find((k: { id: string }) => k.id === id)
    expect(listed).toMatchObject({ name: 'short-lived', scopes: ['history:read'], revokedAt: null })
    expect(JSON.stringify(list.body)).not.toContain(key.slice(22))
    expect(JSON.stringify(list.body)).not.toMatch(/secretHash/)
    expect((await rest.call('GET', `/v1/rooms/${roomId}/messages`, undefined, key)).status).toBe(200)
    expect((await rest.call('DELETE', `/v1/admin/keys/${id}`, undefined, admin)).status).toBe(204)
    expect((await rest.call('GET', `/v1/rooms/${roomId}/messages`, undefined, key)).status).toBe(401)
    // a forged secret for a known id is refused too
    const { id: other } = await createKey('forged', ['history:read'])
    expect((await rest.call('GET', `/v1/rooms/${roomId}/messages`, undefined, `mqk_${other}_${'A'.repeat(32)}`)).status).toBe(401)
  })

  it('a rooms:admin key removes a member (her live subscription stops) and deletes a room, but has no user admin', async () => {
    const { key } = await createKey('moderator', ['rooms:admin'])
    expect((await rest.call('GET', '/v1/admin/users', undefined, key)).status).toBe(403)
    const room = await rest.createRoom(alice.token, 'moderated', ['bob'])
    const bobClient = await connect(node.mqttUrl, bob.token)
    await bobClient.client.subscribeAsync(`users/bob/inbox`, { qos: 1 })
    expect((await rest.call('DELETE', `/v1/admin/rooms/${room.id}/members/bob`, undefined, key)).status).toBe(204)
    const [notice] = await bobClient.waitFor('users/bob/inbox')
    expect(notice).toMatchObject({ type: 'removed', room: room.id })
    expect((await rest.call('GET', `/v1/rooms/${room.id}`, undefined, bob.token)).status).toBe(404)

    expect((await rest.call('DELETE', `/v1/admin/rooms/${room.id}`, undefined, key)).status).toBe(204)
    expect((await rest.call('GET', `/v1/rooms/${room.id}`, undefined, alice.token)).status).toBe(404)
    expect((await rest.call('GET', `/v1/admin/rooms/${room.id}`, undefined, key)).status).toBe(404)
  })

  it('a member an administrator removed from a direct room learns nothing of it by asking for it again (404)', async () => {
    const { key } = await createKey('dm-moderator', ['rooms:admin'])
    const direct = await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['bob'] }, alice.token)
    expect(direct.status).toBe(201)
    const id = (direct.body as { id: string }).id
    expect((await rest.call('DELETE', `/v1/admin/rooms/${id}/members/bob`, undefined, key)).status).toBe(204)
    const again = await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['alice'] }, bob.token)
    expect(again.status).toBe(404)
    expect(again.body).toMatchObject({ code: 'unknown_room' })
    // the member who is still in it finds it as before
    expect((await rest.call('POST', '/v1/rooms', { kind: 'direct', members: ['bob'] }, alice.token)).status).toBe(200)
  })

  it('a ban closes every connection of the user, refuses her tokens and logins; unban lets her log in again', async () => {
    const dave = await rest.register('dave')
    const tcp = await connect(node.mqttUrl, dave.token)
    const ws = await connect(node.wsUrl, dave.token)
    const banned = await rest.call('POST', '/v1/admin/users/dave/ban', undefined, admin)
    expect(banned.status).toBe(200)
    expect(banned.body).toMatchObject({ id: 'dave', banned: true })
    await Promise.all([closed(tcp), closed(ws)])
    expect((await connectRefusal(node.mqttUrl, dave.token))?.code).toBe(4)
    expect((await rest.call('GET', '/v1/rooms', undefined, dave.token)).status).toBe(401)
    expect((await rest.call('POST', '/v1/auth/login', { username: 'dave', password: PASSWORD })).status).toBe(403)

    expect((await rest.call('DELETE', '/v1/admin/users/dave/ban', undefined, admin)).status).toBe(200)
    const again = await rest.call('POST', '/v1/auth/login', { username: 'dave', password: PASSWORD })
    expect(again.status).toBe(200)
    expect(await connectRefusal(node.mqttUrl, again.body.token)).toBeNull()
    // tokens from before the ban stay revoked
    expect((await rest.call('GET', '/v1/rooms', undefined, dave.token)).status).toBe(401)
  })
})
