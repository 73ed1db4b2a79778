import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenService } from '../../core/tokens.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'
import { closed, connectRefusal, startTestJwks, type TestJwks } from '../helpers/tokens.js'

const SECRET = 'tokens-test-secret-tokens-test-secret-0001'
const OLD_SECRET = 'tokens-test-former-secret-tokens-test-0002'
const PASSWORD = 'correct horse battery'

describe('revocable tokens on one node (issue 6 item 13)', () => {
  let node: TestNode
  let jwks: TestJwks
  let rest: ReturnType<typeof restClient>
  const clients: TestClient[] = []
  const connect = async (url: string, token: string) => {
    const client = await connectClient(url, token)
    clients.push(client)
    return client
  }
  const rooms = (token: string) => rest.call('GET', '/v1/rooms', undefined, token)

  beforeAll(async () => {
    jwks = await startTestJwks()
    node = await startTestNode({ MQCHAT_JWT_SECRET: SECRET, MQCHAT_JWT_PREVIOUS_SECRET: OLD_SECRET, MQCHAT_JWT_JWKS_URL: jwks.url })
    rest = restClient(node.httpUrl)
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.endAsync(true)))
    await node.destroy()
    await jwks.close()
  })

  it('tokens carry iss, aud, jti, iat and exp', async () => {
    const { token } = await rest.register('claims')
    const [, payload] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString())
    expect(claims).toMatchObject({ sub: 'claims', iss: 'mqchat', aud: 'mqchat', jti: expect.any(String) })
    expect(claims.exp).toBeGreaterThan(claims.iat)
  })

  it('logout closes the open TCP and WebSocket connections of that token and the token is refused after', async () => {
    const alice = await rest.register('alice')
    const other = (await rest.call('POST', '/v1/auth/login', { username: 'alice', password: PASSWORD })).body.token as string
    const tcp = await connect(node.mqttUrl, alice.token)
    const ws = await connect(node.wsUrl, alice.token)
    const otherDevice = await connect(node.mqttUrl, other)

    const logout = await rest.call('POST', '/v1/auth/logout', undefined, alice.token)
    expect(logout.status).toBe(204)
    await Promise.all([closed(tcp), closed(ws)])

    expect((await rooms(alice.token)).status).toBe(401)
    expect((await connectRefusal(node.mqttUrl, alice.token))?.code).toBe(4)
    expect((await connectRefusal(node.wsUrl, alice.token))?.code).toBe(4)
    // the same user's other token (another device) is untouched
    expect(otherDevice.client.connected).toBe(true)
    expect((await rooms(other)).status).toBe(200)
  })

  it('a password change closes every connection of the user, refuses old tokens and answers a working new one', async () => {
    const bob = await rest.register('bob')
    const tcp = await connect(node.mqttUrl, bob.token)
    const ws = await connect(node.wsUrl, bob.token)

    const wrong = await rest.call('PUT', '/v1/auth/password', { current: 'not my password', new: 'a brand new password' }, bob.token)
    expect(wrong.status).toBe(403)
    expect(tcp.client.connected).toBe(true)

    const changed = await rest.call('PUT', '/v1/auth/password', { current: PASSWORD, new: 'a brand new password' }, bob.token)
    expect(changed.status).toBe(200)
    await Promise.all([closed(tcp), closed(ws)])
    expect((await rooms(bob.token)).status).toBe(401)
    expect((await connectRefusal(node.mqttUrl, bob.token))?.code).toBe(4)

    const fresh = changed.body.token as string
    expect((await rooms(fresh)).status).toBe(200)
    expect((await connect(node.mqttUrl, fresh)).client.connected).toBe(true)
    expect((await rest.call('POST', '/v1/auth/login', { username: 'bob', password: PASSWORD })).status).toBe(401)
    expect((await rest.call('POST', '/v1/auth/login', { username: 'bob', password: 'a brand new password' })).status).toBe(200)
  })

  it('key rotation: tokens of the previous secret still verify; tokens of an unknown secret do not', async () => {
    const carol = await rest.register('carol')
    const previous = await createTokenService(OLD_SECRET, 3600).issue('carol')
    const stranger = await createTokenService('an-unknown-secret-an-unknown-secret-0003', 3600).issue('carol')
    expect((await rooms(previous)).status).toBe(200)
    expect(await connectRefusal(node.mqttUrl, previous)).toBeNull()
    expect((await rooms(stranger)).status).toBe(401)
    expect((await connectRefusal(node.mqttUrl, stranger))?.code).toBe(4)
    expect((await rooms(carol.token)).status).toBe(200)
  })

  it('RS256 and ES256 tokens of the JWKS issuer are accepted; a key the JWKS does not publish, or a wrong audience, is refused', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const token = await jwks.sign('external-user', alg)
      expect((await rooms(token)).status).toBe(200)
      expect(await connectRefusal(node.mqttUrl, token)).toBeNull()
    }
    const unknown = await jwks.signUnknown('external-user')
    expect((await rooms(unknown)).status).toBe(401)
    expect((await connectRefusal(node.mqttUrl, unknown))?.code).toBe(4)
    const elsewhere = await jwks.sign('external-user', 'RS256', { audience: 'another-service' })
    expect((await rooms(elsewhere)).status).toBe(401)
  })

  it('security headers on HTTP answers (helmet)', async () => {
    for (const path of ['/healthz', '/v1/rooms', '/no-such-route']) {
      const response = await fetch(`${node.httpUrl}${path}`)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN')
      expect(response.headers.get('x-powered-by')).toBeNull()
    }
  })
})

describe('token expiry closes open connections', () => {
  let node: TestNode
  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_TOKEN_TTL_SECONDS: '2' })
  })
  afterAll(async () => {
    await node.destroy()
  })

  it('a connection whose token expires is closed, and the token is refused after', async () => {
    const rest = restClient(node.httpUrl)
    const dave = await rest.register('dave')
    const tcp = await connectClient(node.mqttUrl, dave.token)
    const ws = await connectClient(node.wsUrl, dave.token)
    expect(tcp.client.connected && ws.client.connected).toBe(true)
    await Promise.all([closed(tcp, 10_000), closed(ws, 10_000)])
    expect((await connectRefusal(node.mqttUrl, dave.token))?.code).toBe(4)
    expect((await rest.call('GET', '/v1/rooms', undefined, dave.token)).status).toBe(401)
  })
})

describe('metrics token', () => {
  let node: TestNode
  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_METRICS_TOKEN: 'metrics-token-0123456789' })
  })
  afterAll(async () => {
    await node.destroy()
  })

  it('GET /metrics needs the token when MQCHAT_METRICS_TOKEN is set', async () => {
    expect((await fetch(`${node.httpUrl}/metrics`)).status).toBe(401)
    expect((await fetch(`${node.httpUrl}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401)
    const allowed = await fetch(`${node.httpUrl}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })
    expect(allowed.status).toBe(200)
    expect(await allowed.text()).toContain('mqchat_')
    expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200)
  })
})
