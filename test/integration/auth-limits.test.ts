import { randomBytes, scryptSync } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LevelAccountsStore } from '../../storage/accounts/level-accounts-store.js'
import { openLevel } from '../../storage/level.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const PASSWORD = 'correct horse battery'

async function post(base: string, path: string, body: unknown) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers }
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length

describe('login and registration hardening (issue 6, item 7)', () => {
  let node: TestNode
  let rest: ReturnType<typeof restClient>

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_LOGIN_LIMIT_PER_ACCOUNT: '10', MQCHAT_LOGIN_LIMIT_PER_ADDRESS: '0' })
    rest = restClient(node.httpUrl)
  })
  afterAll(async () => {
    await node.destroy()
  })

  it('60 parallel wrong logins: 10 are checked, the rest get 429 with Retry-After; then even the right password waits', async () => {
    await rest.register('victim')
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => post(node.httpUrl, '/v1/auth/login', { username: 'victim', password: 'wrong guess 1' }))
    )
    const statuses = answers.map((a) => a.status)
    expect(count(statuses, 401)).toBe(10)
    expect(count(statuses, 429)).toBe(50)
    const limited = answers.find((a) => a.status === 429)!
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(limited.body).toMatchObject({ status: 429, code: 'rate_limited' })
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    // another case of the same name is the same account
    expect((await post(node.httpUrl, '/v1/auth/login', { username: 'VICTIM', password: PASSWORD })).status).toBe(429)
    // other accounts are unaffected
    await rest.register('bystander')
    expect((await post(node.httpUrl, '/v1/auth/login', { username: 'bystander', password: PASSWORD })).status).toBe(200)
  })

  it('a token cannot guess its own password: password changes spend the login budget (429)', async () => {
    const thief = await rest.register('stolen')
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(`${node.httpUrl}/v1/auth/password`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${thief.token}` },
          body: JSON.stringify({ current: `guess number ${i}`, new: 'a brand new password' })
        }).then((response) => response.status)
      )
    )
    expect(count(answers, 403)).toBe(10)
    expect(count(answers, 429)).toBe(20)
  })

  it('user ids are unique ignoring case (409) and log in in any case', async () => {
    await rest.register('Carol')
    const again = await post(node.httpUrl, '/v1/auth/register', { username: 'carol', password: PASSWORD })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('conflict')
    const login = await post(node.httpUrl, '/v1/auth/login', { username: 'cAROL', password: PASSWORD })
    expect(login.status).toBe(200)
    expect(login.body.user.id).toBe('Carol')
  })

  it('passwords shorter than 10 characters are refused (400)', async () => {
    const short = await post(node.httpUrl, '/v1/auth/register', { username: 'shorty', password: '123456789' })
    expect(short.status).toBe(400)
    expect(short.body.code).toBe('invalid_request')
    expect((await post(node.httpUrl, '/v1/auth/register', { username: 'shorty', password: '1234567890' })).status).toBe(201)
  })

  it('display names lose control and bidi-override characters', async () => {
    const answer = await post(node.httpUrl, '/v1/auth/register', {
      username: 'trojan',
      password: PASSWORD,
      displayName: 'Ad\u202Emin\u0007\u001b[31m \u2066x\u2069\n'
    })
    expect(answer.status).toBe(201)
    expect(answer.body.user.displayName).toBe('Admin[31m x')
    const blank = await post(node.httpUrl, '/v1/auth/register', { username: 'blank', password: PASSWORD, displayName: '\u202E\u0000' })
    expect(blank.body.user.displayName).toBe('blank')
  })
})

describe('a login flood does not starve chat', () => {
  let node: TestNode

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_LOGIN_LIMIT_PER_ADDRESS: '20', MQCHAT_RATE_LIMIT_PER_SECOND: '0' })
  })
  afterAll(async () => {
    await node.destroy()
  })

  it('every chat send is acknowledged while 300 logins flood in, and the flood gets 429s', async () => {
    const rest = restClient(node.httpUrl)
    const alice = await rest.register('alice')
    const room = await rest.createRoom(alice.token, 'busy')
    const client = await connectClient(node.mqttUrl, alice.token)
    const statuses: number[] = []
    const flood = (async () => {
      for (let wave = 0; wave < 10; wave++) {
        const answers = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            post(node.httpUrl, '/v1/auth/login', { username: `user${wave}-${i}`, password: 'wrong password' })
          )
        )
        statuses.push(...answers.map((a) => a.status))
      }
    })()
    const sends = Array.from({ length: 100 }, (_, i) =>
      client.client.publishAsync(`rooms/${room.id}/messages`, JSON.stringify({ id: `m${i}`, body: `message ${i}` }), { qos: 1 })
    )
    const acked = await Promise.all(sends)
    await flood
    await client.end()
    expect(acked).toHaveLength(100)
    expect(count(statuses, 401)).toBeLessThanOrEqual(20)
    expect(count(statuses, 429)).toBeGreaterThanOrEqual(280)
    expect((await rest.history(alice.token, room.id, '?limit=200')).length).toBe(100)
  })
})

describe('registration settings', () => {
  const nodes: TestNode[] = []
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.destroy()))
  })

  it('MQCHAT_REGISTRATION=closed: register answers 403', async () => {
    const node = await startTestNode({ MQCHAT_REGISTRATION: 'closed' })
    nodes.push(node)
    const answer = await post(node.httpUrl, '/v1/auth/register', { username: 'someone', password: PASSWORD })
    expect(answer.status).toBe(403)
    expect(answer.body.code).toBe('forbidden')
  })

  it('registrations are limited per address (429)', async () => {
    const node = await startTestNode({ MQCHAT_REGISTER_LIMIT_PER_ADDRESS: '3' })
    nodes.push(node)
    const statuses: number[] = []
    for (let i = 0; i < 5; i++)
      statuses.push((await post(node.httpUrl, '/v1/auth/register', { username: `bulk${i}`, password: PASSWORD })).status)
    expect(statuses).toEqual([201, 201, 201, 429, 429])
  })

  it('a full hashing queue answers 503 at once instead of waiting', async () => {
    const node = await startTestNode({
      MQCHAT_PASSWORD_QUEUE: '1',
      MQCHAT_LOGIN_LIMIT_PER_ADDRESS: '0',
      MQCHAT_LOGIN_LIMIT_PER_ACCOUNT: '0'
    })
    nodes.push(node)
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(node.httpUrl, '/v1/auth/login', { username: `u${i}`, password: PASSWORD }))
    )
    const statuses = answers.map((a) => a.status)
    expect(count(statuses, 503)).toBeGreaterThan(0)
    expect(count(statuses, 401) + count(statuses, 503)).toBe(20)
  })
})

describe('older scrypt password hashes', () => {
  it('still log in and are replaced by argon2id at that login', async () => {
    const dir = await makeTempDir()
    const accountsDir = join(dir.path, 'accounts')
    const legacy = async (change: (store: LevelAccountsStore) => Promise<void>) => {
      const db = await openLevel(accountsDir)
      await change(new LevelAccountsStore(db))
      await db.close()
    }
    const salt = randomBytes(16)
    const hash = scryptSync('an old password', salt, 32, { N: 16384, r: 8, p: 1 })
    const stored = ['scrypt', 16384, 8, 1, salt.toString('base64url'), hash.toString('base64url')].join('$')
    await legacy((store) => store.createUser({ id: 'oldtimer', displayName: 'oldtimer', passwordHash: stored, createdAt: 1 }))

    const node = await startTestNode({}, dir.path)
    try {
      expect((await post(node.httpUrl, '/v1/auth/login', { username: 'oldtimer', password: 'wrong password' })).status).toBe(401)
      expect((await post(node.httpUrl, '/v1/auth/login', { username: 'oldtimer', password: 'an old password' })).status).toBe(200)
    } finally {
      await node.close()
    }
    let rehashed = ''
    await legacy(async (store) => {
      rehashed = (await store.getUser('oldtimer'))?.passwordHash ?? ''
    })
    expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    const again = await startTestNode({}, dir.path)
    try {
      expect((await post(again.httpUrl, '/v1/auth/login', { username: 'oldtimer', password: 'an old password' })).status).toBe(200)
    } finally {
      await again.destroy()
    }
  })
})
