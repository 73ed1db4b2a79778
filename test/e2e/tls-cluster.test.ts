import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { httpsJson, makeCert, servedFingerprint, type TestCert } from '../helpers/tls-cert.js'

/** `mqchat broker` with MQTT over TLS and `mqchat bridge` with HTTPS/WSS, on one Redis and MongoDB. */
describe('TLS on a cluster: mqtts:// on a broker node, https:// and wss:// on a bridge', () => {
  let dir: { path: string; remove(): Promise<void> }
  let cert: TestCert
  let cluster: TestCluster
  let broker: Awaited<ReturnType<TestCluster['start']>>
  let bridge: Awaited<ReturnType<TestCluster['start']>>
  let alice: { id: string; token: string }
  let bob: { id: string; token: string }
  let roomId: string
  const clients: TestClient[] = []
  const api = (path: string) => `https://127.0.0.1:${bridge.httpPort}${path}`

  beforeAll(async () => {
    dir = await makeTempDir()
    cert = await makeCert(dir.path, 'cluster')
    cluster = await startTestCluster({ MQCHAT_TLS_CERT: cert.certFile, MQCHAT_TLS_KEY: cert.keyFile, MQCHAT_MQTTS_PORT: '0' })
    broker = await cluster.start('broker')
    bridge = await cluster.start('bridge')
    const register = async (username: string) => {
      const response = await httpsJson(api('/v1/auth/register'), cert.pem, 'POST', { username, password: `${username}-secret-pw` })
      expect(response.status, JSON.stringify(response.body)).toBe(201)
      return { id: response.body.user.id as string, token: response.body.token as string }
    }
    alice = await register('alice')
    bob = await register('bob')
    const room = await httpsJson(api('/v1/rooms'), cert.pem, 'POST', { name: 'tls', members: ['bob'] }, alice.token)
    expect(room.status, JSON.stringify(room.body)).toBe(201)
    roomId = room.body.id
  }, 60_000)

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end()))
    await cluster?.stop()
    await dir?.remove()
  })

  const topic = () => `rooms/${roomId}/messages`
  const open = async (url: string, token: string) => {
    const client = await connectClient(url, token, { ca: cert.pem })
    clients.push(client)
    return client
  }

  it('serves the configured certificate on the broker’s MQTT-over-TLS port and the bridge’s HTTP port; the bridge has no MQTT port', async () => {
    expect(broker.mqttsPort).toBeGreaterThan(0)
    expect(bridge.mqttsPort).toBeNull()
    expect(bridge.mqttPort).toBeNull()
    expect(await servedFingerprint(broker.mqttsPort as number)).toBe(cert.fingerprint256)
    expect(await servedFingerprint(bridge.httpPort as number)).toBe(cert.fingerprint256)
  })

  it('chats from mqtts:// on the broker to wss:// on the bridge and back, with history over HTTPS', async () => {
    const bobWss = await open(`wss://127.0.0.1:${bridge.httpPort}/mqtt`, bob.token)
    const aliceMqtts = await open(`mqtts://127.0.0.1:${broker.mqttsPort}`, alice.token)
    await bobWss.client.subscribeAsync(topic(), { qos: 1 })
    await aliceMqtts.client.subscribeAsync(topic(), { qos: 1 })
    await aliceMqtts.client.publishAsync(topic(), JSON.stringify({ id: 'm1', body: 'over mqtts' }), { qos: 1 })
    await bobWss.client.publishAsync(topic(), JSON.stringify({ id: 'm2', body: 'over wss' }), { qos: 1 })
    const onBob = await bobWss.waitFor(topic(), 2)
    const onAlice = await aliceMqtts.waitFor(topic(), 2)
    const seen = (messages: { seq: number; id: string; from: string; body: string }[]) => messages.map((m) => [m.seq, m.id, m.from, m.body])
    const expected = [
      [1, 'm1', alice.id, 'over mqtts'],
      [2, 'm2', bob.id, 'over wss']
    ]
    expect(seen(onBob)).toEqual(expected)
    expect(seen(onAlice)).toEqual(expected)
    const history = await eventually(
      () => httpsJson(api(`/v1/rooms/${roomId}/messages`), cert.pem, 'GET', undefined, bob.token),
      (response) => response.status === 200 && response.body.messages.length === 2
    )
    // history pages run newest first
    expect(seen(history.body.messages).reverse()).toEqual(expected)
  })

  it('refuses plain HTTP on the bridge’s port and a client that does not trust the certificate', async () => {
    const plain = await fetch(`http://127.0.0.1:${bridge.httpPort}/v1/health`).then(
      (response) => response.status,
      (error: unknown) => (error as Error).name
    )
    expect(plain).not.toBe(200)
    const untrusted = await connectClient(`mqtts://127.0.0.1:${broker.mqttsPort}`, alice.token).then(
      async (client) => {
        await client.end()
        return 'connected'
      },
      (error: Error) => error.message
    )
    expect(untrusted).toMatch(/self[- ]signed|certificate/i)
  })
})
