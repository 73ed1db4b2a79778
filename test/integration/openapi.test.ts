import { Validator } from '@seriousme/openapi-schema-validator'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../api/app.js'
import type { ApiDeps } from '../../api/deps.js'
import { parseConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { createAdmin } from '../../server/admin-command.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { mountedRoutes } from '../helpers/express-routes.js'
import { connectClient, type TestClient } from '../helpers/mqtt.js'
import { documentedClient, type OpenApiDoc } from '../helpers/openapi-client.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const PASSWORD = 'correct horse battery'

describe('GET /v1/openapi.json matches the real answers of every route (issue 8, part 3)', () => {
  let node: TestNode
  let removeDir: () => Promise<void>
  let doc: OpenApiDoc
  let admin: string
  let alice: string
  let bob: string
  const clients: TestClient[] = []
  let api: ReturnType<typeof documentedClient>
  const call = (method: string, path: string, body?: unknown, token?: string) => api.call(method, path, { body, token })
  const expectDocumented: ReturnType<typeof documentedClient>['expectDocumented'] = (...args) => api.expectDocumented(...args)

  beforeAll(async () => {
    const dir = await makeTempDir()
    removeDir = dir.remove
    const config = parseConfig({ MQCHAT_DATA_DIR: dir.path, MQCHAT_LOG_LEVEL: 'silent' })
    const created = await createAdmin(config, createLogger('silent'), 'root')
    node = await startTestNode({}, dir.path)
    api = documentedClient(node.httpUrl)
    doc = await api.load()
    admin = (await call('POST', '/v1/auth/login', { username: 'root', password: created.password })).body.token
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
    await removeDir()
  })

  it('is a valid OpenAPI 3.1 document (and the validator refuses a broken one)', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: unknown }>> }
    ;(broken.paths['/v1/rooms'] as Record<string, { responses: unknown }>).get = { responses: 'none' }
    expect((await new Validator().validate(broken as unknown as Record<string, unknown>)).valid).toBe(false)
  })

  it('documents every route express has mounted, and nothing it has not', () => {
    // only the route table is read: no request reaches these deps
    const app = createApp({ registry: new Registry(), logger: createLogger('silent') } as unknown as ApiDeps, {
      metricsToken: undefined,
      maxMessageBytes: 16_384,
      registration: 'open'
    })
    // the files of the pages (/docs, the chat app) are not API routes
    const mounted = mountedRoutes(app).filter((route) => !/^GET \S*\.(js|css|png|ico|svg|map|woff2?)$/.test(route))
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)
    )
    expect(mounted.length).toBeGreaterThan(20)
    expect(
      mounted.filter((route) => !documented.includes(route)),
      'mounted but not in api/openapi'
    ).toEqual([])
    expect(
      documented.filter((route) => !mounted.includes(route)),
      'documented but not mounted'
    ).toEqual([])
  })

  it('auth: register, login, and their errors', async () => {
    const registered = await expectDocumented(
      'POST',
      '/v1/auth/register',
      {},
      { body: { username: 'alice', password: PASSWORD, displayName: 'Alice' } }
    )
    expect(registered.status).toBe(201)
    alice = registered.body.token
    bob = (await expectDocumented('POST', '/v1/auth/register', {}, { body: { username: 'bob', password: PASSWORD } })).body.token
    await expectDocumented('POST', '/v1/auth/register', {}, { body: { username: 'carol', password: PASSWORD } })
    expect((await expectDocumented('POST', '/v1/auth/register', {}, { body: { username: 'ALICE', password: PASSWORD } })).status).toBe(409)
    expect((await expectDocumented('POST', '/v1/auth/register', {}, { body: { username: 'dave', password: 'short' } })).status).toBe(400)
    expect((await expectDocumented('POST', '/v1/auth/register', {}, { raw: '{"username":' })).body.code).toBe('invalid_json')
    expect((await expectDocumented('POST', '/v1/auth/login', {}, { body: { username: 'Alice', password: PASSWORD } })).status).toBe(200)
    expect((await expectDocumented('POST', '/v1/auth/login', {}, { body: { username: 'alice', password: 'wrong password' } })).status).toBe(
      401
    )
  })

  it('rooms and members', async () => {
    expect((await expectDocumented('GET', '/v1/rooms', {})).status).toBe(401)
    const room = await expectDocumented('POST', '/v1/rooms', {}, { body: { name: 'ops', members: ['bob'] }, token: alice })
    expect(room.status).toBe(201)
    const roomId = room.body.id as string
    expect((await expectDocumented('POST', '/v1/rooms', {}, { body: { kind: 'direct', members: ['bob'] }, token: alice })).status).toBe(201)
    expect((await expectDocumented('POST', '/v1/rooms', {}, { body: { kind: 'direct', members: ['alice'] }, token: bob })).status).toBe(200)
    expect((await expectDocumented('POST', '/v1/rooms', {}, { body: { name: 'x', members: ['nobody'] }, token: alice })).status).toBe(422)
    expect((await expectDocumented('GET', '/v1/rooms?limit=1', {}, { token: alice })).body.next).toEqual(expect.any(String))
    expect((await expectDocumented('GET', '/v1/rooms?limit=0', {}, { token: alice })).status).toBe(400)
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}', { roomId }, { token: bob })).status).toBe(200)
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}', { roomId: 'r_none' }, { token: bob })).status).toBe(404)
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}/settings', { roomId }, { token: bob })).body).toEqual({ muted: false })
    const muted = await expectDocumented('PUT', '/v1/rooms/{roomId}/settings', { roomId }, { body: { muted: true }, token: bob })
    expect(muted.body).toEqual({ muted: true })
    const invalid = await expectDocumented('PUT', '/v1/rooms/{roomId}/settings', { roomId }, { body: { muted: 'yes' }, token: bob })
    expect(invalid.status).toBe(400)
    const read = await expectDocumented('PUT', '/v1/rooms/{roomId}/read', { roomId }, { body: { seq: 0 }, token: bob })
    expect(read.body).toEqual({ room: roomId, readSeq: 0 })
    expect((await expectDocumented('PUT', '/v1/rooms/{roomId}/read', { roomId }, { body: { seq: 'x' }, token: bob })).status).toBe(400)
    // an empty room: a pointer at 0 is no receipt
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}/receipts', { roomId }, { token: alice })).body).toEqual({ receipts: [] })
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}/presence', { roomId }, { token: alice })).body).toEqual({ online: [] })
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}/presence', { roomId: 'r_none' }, { token: alice })).status).toBe(404)
    expect(
      (await expectDocumented('POST', '/v1/rooms/{roomId}/members', { roomId }, { body: { userId: 'carol' }, token: bob })).status
    ).toBe(200)
    expect(
      (await expectDocumented('DELETE', '/v1/rooms/{roomId}/members/{userId}', { roomId, userId: 'carol' }, { token: bob })).status
    ).toBe(403)
    expect(
      (await expectDocumented('DELETE', '/v1/rooms/{roomId}/members/{userId}', { roomId, userId: 'carol' }, { token: alice })).status
    ).toBe(204)
  })

  it('messages: send, repeat, refuse, read history', async () => {
    const roomId = (await call('POST', '/v1/rooms', { name: 'talk', members: ['bob'] }, alice)).body.id as string
    const sent = await expectDocumented(
      'POST',
      '/v1/rooms/{roomId}/messages',
      { roomId },
      { body: { id: 'm1', body: 'hi', meta: { a: 1 } }, token: alice }
    )
    expect(sent.status).toBe(201)
    expect(
      (await expectDocumented('POST', '/v1/rooms/{roomId}/messages', { roomId }, { body: { id: 'm1', body: 'hi' }, token: alice })).status
    ).toBe(200)
    expect(
      (await expectDocumented('POST', '/v1/rooms/{roomId}/messages', { roomId }, { body: { id: 'm1', body: 'mine' }, token: bob })).status
    ).toBe(409)
    expect(
      (
        await expectDocumented(
          'POST',
          '/v1/rooms/{roomId}/messages',
          { roomId },
          { body: { body: 'no id', attachments: [{ url: 'x' }] }, token: bob }
        )
      ).status
    ).toBe(201)
    expect(
      (await expectDocumented('POST', '/v1/rooms/{roomId}/messages', { roomId }, { body: { id: 'bad id!', body: 'x' }, token: bob })).body
        .code
    ).toBe('invalid_message')
    const page = await expectDocumented('GET', '/v1/rooms/{roomId}/messages?limit=1', { roomId }, { token: bob })
    expect(page.body).toMatchObject({ messages: [{ seq: 2 }], next: 2 })
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}/messages?after=0', { roomId }, { token: bob })).body.messages).toHaveLength(2)
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}/messages?before=x', { roomId }, { token: bob })).status).toBe(400)
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}/messages', { roomId: 'r_none' }, { token: bob })).status).toBe(404)

    // edits, deletes and reactions of seq 1 (alice's) and 2 (bob's)
    const edit = { body: { body: 'hi, edited' }, token: alice, headers: { 'Idempotency-Key': 'e1' } }
    const message = '/v1/rooms/{roomId}/messages/{seq}'
    const reaction = '/v1/rooms/{roomId}/messages/{seq}/reactions/{key}'
    expect((await expectDocumented('PATCH', message, { roomId, seq: '1' }, edit)).status).toBe(201)
    expect((await expectDocumented('PATCH', message, { roomId, seq: '1' }, edit)).status).toBe(200)
    expect((await expectDocumented('PATCH', message, { roomId, seq: '1' }, { body: { body: 'mine' }, token: bob })).body.code).toBe(
      'not_author'
    )
    expect((await expectDocumented('PATCH', message, { roomId, seq: '999' }, { body: { body: 'x' }, token: alice })).body.code).toBe(
      'bad_target'
    )
    expect((await expectDocumented('PUT', reaction, { roomId, seq: '1', key: 'thumbs_up' }, { token: bob })).status).toBe(201)
    expect((await expectDocumented('DELETE', reaction, { roomId, seq: '1', key: 'thumbs_up' }, { token: bob })).status).toBe(201)
    expect((await expectDocumented('DELETE', message, { roomId, seq: '2' }, { token: bob })).status).toBe(201)
    const after = await expectDocumented('GET', '/v1/rooms/{roomId}/messages?after=0', { roomId }, { token: alice })
    expect(after.body.messages.length).toBeGreaterThanOrEqual(2)
  })

  it('health, metrics and the documents', async () => {
    await expectDocumented('GET', '/healthz', {})
    await expectDocumented('GET', '/readyz', {})
    expect((await expectDocumented('GET', '/metrics', {})).text).toMatch(/mqchat_/)
    expect((await expectDocumented('GET', '/v1/openapi.json', {})).body).toEqual(doc)
    expect((await expectDocumented('GET', '/v1/asyncapi.json', {})).body).toMatchObject({ asyncapi: '3.0.0' })
  })

  it('/docs renders the document from local files only; helmet’s CSP allows it', async () => {
    const redirect = await fetch(`${node.httpUrl}/docs`, { redirect: 'manual' })
    expect(redirect.status).toBe(301)
    const page = await expectDocumented('GET', '/docs', {}, {})
    expect(page.status).toBe(200)
    const csp = (await fetch(`${node.httpUrl}/docs/`)).headers.get('content-security-policy') ?? ''
    expect(csp).toMatch(/script-src 'self'(;|$)/)
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url as string)
    expect(assets.length).toBeGreaterThanOrEqual(5)
    for (const asset of assets) {
      expect(asset, 'same-origin, relative').not.toMatch(/^(https?:)?\/\//)
      const response = await fetch(new URL(asset, `${node.httpUrl}/docs/`))
      expect(response.status, asset).toBe(200)
      await response.arrayBuffer()
    }
    expect(page.text).not.toMatch(/<script>/)
    const initializer = await (await fetch(`${node.httpUrl}/docs/mqchat-docs.js`)).text()
    expect(initializer).toContain("'../v1/openapi.json'")
  })

  it('/ serves the chat app: its script and stylesheet same-origin; no upgrade-insecure-requests on plain HTTP', async () => {
    const page = await expectDocumented('GET', '/', {}, {})
    expect(page.status).toBe(200)
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map(([, url]) => url as string)
      // an empty inline favicon (`data:,`) keeps the browser from asking for /favicon.ico; nothing is fetched for it
      .filter((url) => url !== 'data:,')
    expect(assets.sort()).toEqual(['/app.css', '/app.js'])
    for (const asset of assets) expect((await fetch(`${node.httpUrl}${asset}`)).status, asset).toBe(200)
    // fetch asks for gzip: the script (mostly mqtt.js) goes out precompressed
    expect((await fetch(`${node.httpUrl}/app.js`)).headers.get('content-encoding')).toBe('gzip')
    const csp = (await fetch(`${node.httpUrl}/`)).headers.get('content-security-policy') ?? ''
    expect(csp).toMatch(/script-src 'self'(;|$)/)
    expect(csp).not.toMatch(/upgrade-insecure-requests/)
  })

  it('admin API: users, keys, rooms', async () => {
    expect((await expectDocumented('GET', '/v1/admin/users', {}, { token: alice })).status).toBe(403)
    expect((await expectDocumented('GET', '/v1/admin/users?limit=2', {}, { token: admin })).body.next).toBe('bob')
    expect(
      (await expectDocumented('POST', '/v1/admin/users', {}, { body: { username: 'erin', password: PASSWORD }, token: admin })).status
    ).toBe(201)
    const tcp = await connectClient(node.mqttUrl, bob)
    clients.push(tcp)
    expect((await expectDocumented('GET', '/v1/admin/users/{userId}', { userId: 'bob' }, { token: admin })).body.connections).toHaveLength(
      1
    )
    expect((await expectDocumented('GET', '/v1/admin/users/{userId}', { userId: 'nobody' }, { token: admin })).status).toBe(404)
    await expectDocumented('GET', '/v1/admin/users/{userId}/connections', { userId: 'bob' }, { token: admin })
    expect((await expectDocumented('POST', '/v1/admin/users/{userId}/ban', { userId: 'erin' }, { token: admin })).body.banned).toBe(true)
    expect((await expectDocumented('POST', '/v1/admin/users/{userId}/ban', { userId: 'root' }, { token: admin })).status).toBe(409)
    expect((await expectDocumented('DELETE', '/v1/admin/users/{userId}/ban', { userId: 'erin' }, { token: admin })).body.banned).toBe(false)

    const key = await expectDocumented('POST', '/v1/admin/keys', {}, { body: { name: 'bot', scopes: ['history:read'] }, token: admin })
    expect(key.status).toBe(201)
    expect((await expectDocumented('POST', '/v1/admin/keys', {}, { body: { name: 'Bad Name', scopes: [] }, token: admin })).status).toBe(
      400
    )
    expect((await expectDocumented('GET', '/v1/admin/keys', {}, { token: admin })).body.keys).toHaveLength(1)
    const roomId = (await call('POST', '/v1/rooms', { name: 'svc', members: ['bob'] }, alice)).body.id as string
    // a key with history:read reads any room but may not send, and is not a user
    expect((await expectDocumented('GET', '/v1/rooms/{roomId}/messages', { roomId }, { token: key.body.key })).status).toBe(200)
    expect(
      (await expectDocumented('POST', '/v1/rooms/{roomId}/messages', { roomId }, { body: { body: 'x' }, token: key.body.key })).status
    ).toBe(403)
    expect((await expectDocumented('GET', '/v1/rooms', {}, { token: key.body.key })).status).toBe(403)
    expect((await expectDocumented('DELETE', '/v1/admin/keys/{keyId}', { keyId: key.body.id }, { token: admin })).status).toBe(204)
    expect((await expectDocumented('DELETE', '/v1/admin/keys/{keyId}', { keyId: 'ffffffffffffffff' }, { token: admin })).status).toBe(404)

    expect((await expectDocumented('GET', '/v1/admin/rooms/{roomId}', { roomId }, { token: admin })).body.id).toBe(roomId)
    expect((await expectDocumented('GET', '/v1/admin/rooms/{roomId}', { roomId: 'r_none' }, { token: admin })).status).toBe(404)
    expect(
      (await expectDocumented('POST', '/v1/admin/rooms/{roomId}/members', { roomId }, { body: { userId: 'erin' }, token: admin })).status
    ).toBe(200)
    expect(
      (await expectDocumented('DELETE', '/v1/admin/rooms/{roomId}/members/{userId}', { roomId, userId: 'erin' }, { token: admin })).status
    ).toBe(204)
    expect((await expectDocumented('DELETE', '/v1/admin/rooms/{roomId}', { roomId }, { token: admin })).status).toBe(204)
    expect((await expectDocumented('DELETE', '/v1/admin/rooms/{roomId}', { roomId }, { token: admin })).status).toBe(404)
  })

  it('account: password change and logout', async () => {
    expect(
      (
        await expectDocumented(
          'PUT',
          '/v1/auth/password',
          {},
          { body: { current: 'wrong password', new: 'another long password' }, token: bob }
        )
      ).status
    ).toBe(403)
    const changed = await expectDocumented(
      'PUT',
      '/v1/auth/password',
      {},
      { body: { current: PASSWORD, new: 'another long password' }, token: bob }
    )
    expect(changed.status).toBe(200)
    expect((await expectDocumented('POST', '/v1/auth/logout', {}, { token: changed.body.token })).status).toBe(204)
    expect((await expectDocumented('POST', '/v1/auth/logout', {}, { token: changed.body.token })).status).toBe(401)
  })

  it('every documented operation was answered by a real request above', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)
    )
    const unanswered = operations.filter((operation) => ![...api.answered].some((key) => key.startsWith(`${operation} `)))
    expect(unanswered).toEqual([])
  })
})
