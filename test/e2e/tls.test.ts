import { copyFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { connect as connectTls } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { floodSocket } from '../helpers/flood.js'
import { killAllLineProcesses, spawnLines } from '../helpers/line-process.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { killAllNodes, type NodeProcess, runMqchat, spawnNode } from '../helpers/node-process.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { httpsJson, makeCert, servedFingerprint, type TestCert } from '../helpers/tls-cert.js'

const MB = 1024 * 1024

describe('TLS: MQTT over TLS, HTTPS and WSS on a real `mqchat dev` process', () => {
  let dir: { path: string; remove(): Promise<void> }
  let first: TestCert
  let node: NodeProcess
  let mqttsPort: number
  let alice: { id: string; token: string }
  let bob: { id: string; token: string }
  let roomId: string
  const clients: TestClient[] = []
  const certPath = () => join(dir.path, 'server.crt')
  const keyPath = () => join(dir.path, 'server.key')
  const api = (path: string) => `https://127.0.0.1:${node.httpPort}${path}`

  beforeAll(async () => {
    dir = await makeTempDir()
    first = await makeCert(dir.path, 'first')
    // the node reads these paths; SIGHUP re-reads whatever they hold then
    await copyFile(first.certFile, certPath())
    await copyFile(first.keyFile, keyPath())
    node = await spawnNode(join(dir.path, 'data'), {
      MQCHAT_TLS_CERT: certPath(),
      MQCHAT_TLS_KEY: keyPath(),
      MQCHAT_MQTTS_PORT: '0',
      MQCHAT_MAX_MESSAGE_BYTES: '1024'
    })
    mqttsPort = node.logs.find((line) => line.msg === 'mqchat dev node listening')?.mqttsPort as number
    const register = async (username: string) => {
      const response = await httpsJson(api('/v1/auth/register'), first.pem, 'POST', { username, password: `${username}-secret-pw` })
      expect(response.status, JSON.stringify(response.body)).toBe(201)
      return { id: response.body.user.id as string, token: response.body.token as string }
    }
    alice = await register('alice')
    bob = await register('bob')
    const room = await httpsJson(api('/v1/rooms'), first.pem, 'POST', { name: 'tls', members: ['bob'] }, alice.token)
    expect(room.status, JSON.stringify(room.body)).toBe(201)
    roomId = room.body.id
  })

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end()))
    await killAllLineProcesses()
    await node?.stop()
    await killAllNodes()
    await dir?.remove()
  })

  const topic = () => `rooms/${roomId}/messages`
  const open = async (url: string, token: string) => {
    const client = await connectClient(url, token, { ca: first.pem })
    clients.push(client)
    return client
  }

  it('chats over mqtts:// (mqtt.js and mosquitto_pub --cafile) and wss://, with history over HTTPS', async () => {
    expect(mqttsPort).toBeGreaterThan(0)
    const bobWss = await open(`wss://127.0.0.1:${node.httpPort}/mqtt`, bob.token)
    await bobWss.client.subscribeAsync(topic(), { qos: 1 })
    const aliceMqtts = await open(`mqtts://127.0.0.1:${mqttsPort}`, alice.token)
    await aliceMqtts.client.publishAsync(topic(), JSON.stringify({ id: 'm1', body: 'over mqtts' }), { qos: 1 })
    const pub = spawnLines('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(mqttsPort), '-V', 'mqttv311', '--cafile', first.certFile],
      ...['-u', 'alice', '-P', alice.token, '-t', topic(), '-q', '1', '-m', JSON.stringify({ id: 'm2', body: 'from mosquitto_pub' })]
    ])
    expect((await pub.exited).code, pub.stderr()).toBe(0)
    const got = await bobWss.waitFor(topic(), 2)
    expect(got.map((m) => [m.seq, m.id, m.from, m.body])).toEqual([
      [1, 'm1', 'alice', 'over mqtts'],
      [2, 'm2', 'alice', 'from mosquitto_pub']
    ])
    const history = await eventually(
      () => httpsJson(api(`/v1/rooms/${roomId}/messages?after=0`), first.pem, 'GET', undefined, bob.token),
      (response) => response.status === 200 && response.body.messages.length === 2
    )
    expect(history.body.messages.map((m: { id: string }) => m.id).sort()).toEqual(['m1', 'm2'])
  })

  it('cuts off an oversize CONNECT over TLS as its header arrives', async () => {
    const socket = connectTls({ port: mqttsPort, host: '127.0.0.1', ca: first.pem, servername: 'localhost' })
    const result = await floodSocket(socket, 'secureConnect', 150 * MB)
    expect(result.closedByPeer).toBe(true)
    expect(result.bytesAccepted).toBeLessThan(16 * MB)
  })

  it('serves a new certificate to new connections after SIGHUP, keeping open ones', async () => {
    const bobMqtts = await open(`mqtts://127.0.0.1:${mqttsPort}`, bob.token)
    await bobMqtts.client.subscribeAsync(topic(), { qos: 1 })
    let bobClosed = false
    bobMqtts.client.on('close', () => {
      bobClosed = true
    })
    expect(await servedFingerprint(mqttsPort)).toBe(first.fingerprint256)
    expect(await servedFingerprint(node.httpPort)).toBe(first.fingerprint256)

    const second = await makeCert(dir.path, 'second')
    // replace both files atomically, as a certificate renewal would
    await rename(second.keyFile, keyPath())
    await rename(second.certFile, certPath())
    const reloadsBefore = node.logs.filter((line) => line.msg === 'TLS certificate reloaded').length
    node.child.kill('SIGHUP')
    await eventually(
      async () => node.logs.filter((line) => line.msg === 'TLS certificate reloaded').length,
      (count) => count > reloadsBefore
    )
    expect(await servedFingerprint(mqttsPort)).toBe(second.fingerprint256)
    expect(await servedFingerprint(node.httpPort)).toBe(second.fingerprint256)
    const fresh = await connectClient(`mqtts://127.0.0.1:${mqttsPort}`, alice.token, { ca: second.pem })
    clients.push(fresh)

    // the connection opened under the first certificate is still up and still receives
    await fresh.client.publishAsync(topic(), JSON.stringify({ id: 'm3', body: 'after reload' }), { qos: 1 })
    const [received] = await bobMqtts.waitFor(topic())
    expect(received).toMatchObject({ id: 'm3', from: 'alice' })
    expect(bobClosed).toBe(false)
    expect(node.child.exitCode).toBeNull()
  })

  it('fails to start with one clear line when a certificate file is missing or not a certificate', async () => {
    const missing = await runMqchat('dev', {
      MQCHAT_DATA_DIR: join(dir.path, 'data-missing'),
      MQCHAT_TLS_CERT: join(dir.path, 'nope.crt'),
      MQCHAT_TLS_KEY: first.keyFile
    })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^mqchat: invalid configuration: MQCHAT_TLS_CERT: cannot read .*nope\.crt \(ENOENT\)\n$/)
    const garbage = await runMqchat('dev', {
      MQCHAT_DATA_DIR: join(dir.path, 'data-garbage'),
      MQCHAT_TLS_CERT: first.keyFile,
      MQCHAT_TLS_KEY: first.keyFile
    })
    expect(garbage.code).toBe(1)
    expect(garbage.stderr).toMatch(
      /^mqchat: invalid configuration: MQCHAT_TLS_CERT\/MQCHAT_TLS_KEY: .* are not a PEM certificate and its key .*\n$/
    )
    const half = await runMqchat('dev', { MQCHAT_DATA_DIR: join(dir.path, 'data-half'), MQCHAT_TLS_CERT: first.certFile })
    expect(half.code).toBe(1)
    expect(half.stderr).toBe('mqchat: invalid configuration: MQCHAT_TLS_KEY: required with MQCHAT_TLS_CERT\n')
  })
})
