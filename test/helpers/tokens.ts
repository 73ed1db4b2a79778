import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import mqtt, { type MqttClient } from 'mqtt'
import type { TestClient } from './mqtt.js'

/** Resolves when the client's connection closes; rejects after `timeoutMs` (a deadline, not a measurement). */
export function closed(client: TestClient | MqttClient, timeoutMs = 5000): Promise<number> {
  const mqttClient = 'client' in client ? client.client : client
  const started = Date.now()
  return new Promise((resolve, reject) => {
    if (!mqttClient.connected) return resolve(0)
    const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs)
    mqttClient.once('close', () => {
      clearTimeout(timer)
      resolve(Date.now() - started)
    })
  })
}

/** The CONNACK refusal of a token (mqtt.js rejects with `code`), or null when it was accepted. */
export async function connectRefusal(url: string, token: string): Promise<{ code?: number; message: string } | null> {
  try {
    const client = await mqtt.connectAsync(url, { username: 'u', password: token, reconnectPeriod: 0, connectTimeout: 5000 })
    await client.endAsync(true)
    return null
  } catch (error) {
    return error as { code?: number; message: string }
  }
}

export interface TestJwks {
  url: string
  /** Signs a user token with a key the JWKS publishes. */
  sign(userId: string, alg: 'RS256' | 'ES256', claims?: { issuer?: string; audience?: string }): Promise<string>
  /** Signs with a key of the same kid and alg the JWKS does not publish. */
  signUnknown(userId: string): Promise<string>
  close(): Promise<void>
}

/** A JWKS served from a loopback HTTP server with one RS256 and one ES256 key, as an external issuer would. */
export async function startTestJwks(): Promise<TestJwks> {
  const rsa = await generateKeyPair('RS256', { extractable: true })
  const ec = await generateKeyPair('ES256', { extractable: true })
  const stranger = await generateKeyPair('RS256')
  const keys: JWK[] = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }
  ]
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks.json') return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const sign = (userId: string, alg: 'RS256' | 'ES256', kid: string, key: CryptoKey, claims: { issuer?: string; audience?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg, kid })
      .setSubject(userId)
      .setIssuer(claims.issuer ?? 'mqchat')
      .setAudience(claims.audience ?? 'mqchat')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key)
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    sign: (userId, alg, claims) =>
      alg === 'RS256' ? sign(userId, alg, 'rsa-1', rsa.privateKey, claims) : sign(userId, alg, 'ec-1', ec.privateKey, claims),
    signUnknown: (userId) => sign(userId, 'RS256', 'rsa-1', stranger.privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}
