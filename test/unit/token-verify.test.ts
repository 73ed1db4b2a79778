import { createHmac } from 'node:crypto'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { createTokenService, secretKid } from '../../core/tokens.js'

const SECRET = 'token-verify-secret-0123456789abcdef0123'
const key = new TextEncoder().encode(SECRET)
const service = createTokenService(SECRET, 3600)
const now = () => Math.floor(Date.now() / 1000)

type Header = Parameters<SignJWT['setProtectedHeader']>[0]

/** A token as mqchat signs one, with `change` applied to it before signing. */
async function token(
  change: (jwt: SignJWT) => SignJWT = (jwt) => jwt,
  signingKey = key,
  header: Header = { alg: 'HS256', kid: secretKid(SECRET) }
): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader(header)
    .setSubject('alice')
    .setIssuer('mqchat')
    .setAudience('mqchat')
    .setJti('j1')
    .setIssuedAt()
    .setExpirationTime(now() + 60)
  return change(jwt).sign(signingKey)
}

describe('HS256 verification (fast-jwt) refuses every token mqchat did not sign as is', () => {
  it('accepts a token it issued and one built the same way', async () => {
    expect((await service.verify(await service.issue('alice')))?.userId).toBe('alice')
    expect((await service.verify(await token()))?.userId).toBe('alice')
  })

  it.each([
    ['another issuer', (jwt: SignJWT) => jwt.setIssuer('evil')],
    ['another audience', (jwt: SignJWT) => jwt.setAudience('other')],
    ['expired', (jwt: SignJWT) => jwt.setExpirationTime(now() - 1)],
    ['not valid yet', (jwt: SignJWT) => jwt.setNotBefore(now() + 60)],
    ['a subject that is no user id', (jwt: SignJWT) => jwt.setSubject('a/b')]
  ])('refuses %s', async (_, change) => {
    expect(await service.verify(await token(change))).toBeNull()
  })

  it.each([
    ['an unknown kid', { alg: 'HS256', kid: 'hs-unknown' }],
    ['a kid that is not a string', { alg: 'HS256', kid: 7 as unknown as string }]
  ])('refuses a header with %s', async (_, header) => {
    expect(await service.verify(await token(undefined, key, header))).toBeNull()
  })

  it('refuses a header with an unknown critical parameter (signed by hand: jose will not sign one)', async () => {
    const [, payload] = (await token()).split('.') as [string, string]
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid: secretKid(SECRET), crit: ['x'], x: 1 })).toString('base64url')
    const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url')
    expect(await service.verify(`${header}.${payload}.${signature}`)).toBeNull()
  })

  it('refuses another secret, another HMAC algorithm, alg none, a changed payload and garbage', async () => {
    expect(await service.verify(await token(undefined, new TextEncoder().encode(`${SECRET}x`)))).toBeNull()
    expect(await service.verify(await token(undefined, key, { alg: 'HS512', kid: secretKid(SECRET) }))).toBeNull()
    const [header, payload, signature] = (await token()).split('.') as [string, string, string]
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')
    expect(await service.verify(`${none}.${payload}.`)).toBeNull()
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'mallory' }))
    expect(await service.verify(`${header}.${forged.toString('base64url')}.${signature}`)).toBeNull()
    for (const junk of ['', 'a.b.c', 'a.b', '....', `${header}.${payload}`]) expect(await service.verify(junk)).toBeNull()
  })
})
