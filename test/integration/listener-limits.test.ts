import { connect as connectTcp, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { floodTcp, floodWebSocket } from '../helpers/flood.js'
import { connectClient, eventually, type TestClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'

const MB = 1024 * 1024
/** What the kernel's socket buffers on loopback can take on their own, far below the floods. */
const SOCKET_BUFFERS = 16 * MB

/** An anonymous MQTT 3.1.1 CONNECT (clean session, keepalive 60) with client id `id`. */
function connectPacket(id: string): Buffer {
  const variable = [0, 4, ...Buffer.from('MQTT'), 4, 0x02, 0, 60, 0, id.length, ...Buffer.from(id)]
  return Buffer.from([0x10, variable.length, ...variable])
}

/**
 * Opens a raw TCP socket (from `localAddress`) and sends an anonymous CONNECT; resolves with the
 * first bytes back (the socket stays open, counted by the node) or 'closed' if the node refused it.
 */
function probe(port: number, localAddress = '127.0.0.1'): Promise<{ reply: Buffer | 'closed'; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ port, host: '127.0.0.1', localAddress })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error)
    })
    socket.once('data', (reply) => resolve({ reply, socket }))
    socket.once('close', () => resolve({ reply: 'closed', socket }))
    socket.once('connect', () => socket.write(connectPacket(`probe-${Math.random().toString(36).slice(2, 10)}`)))
  })
}

/**
 * Resolves once `socket` is closed by the other side. What it is sent (an HTTP 408) is read and
 * dropped: a socket with unread data never sees the end of its stream.
 */
const closedByBroker = (socket: { once(event: 'close', listener: () => void): unknown; resume?(): unknown }) => {
  socket.resume?.()
  return new Promise<void>((resolve) => socket.once('close', () => resolve()))
}

describe('packet size limit: an oversize packet is cut off as its header arrives', () => {
  let node: TestNode
  beforeAll(async () => {
    // a CONNECT timeout far longer than the floods take: only the size limit can stop them
    node = await startTestNode({ MQCHAT_MAX_MESSAGE_BYTES: '1024', MQCHAT_CONNECT_TIMEOUT_MS: '120000' })
  })
  afterAll(() => node?.destroy())

  it('closes a TCP socket announcing a 150 MB CONNECT after at most what socket buffers hold', async () => {
    const result = await floodTcp(node.mqttPort, 150 * MB)
    expect(result.closedByPeer).toBe(true)
    expect(result.bytesAccepted).toBeLessThan(SOCKET_BUFFERS)
  })

  it('closes a WebSocket carrying a 149 MB MQTT packet in 64 KiB messages', async () => {
    const result = await floodWebSocket(node.wsUrl, 149 * MB)
    expect(result.closedByPeer).toBe(true)
    expect(result.bytesAccepted).toBeLessThan(SOCKET_BUFFERS)
  })

  it('still accepts packets up to the limit and chat works', async () => {
    const rest = restClient(node.httpUrl)
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const room = await rest.createRoom(alice.token, 'general', ['bob'])
    const bobClient = await connectClient(node.wsUrl, bob.token)
    const aliceClient = await connectClient(node.mqttUrl, alice.token)
    const topic = `rooms/${room.id}/messages`
    await bobClient.client.subscribeAsync(topic, { qos: 1 })
    const body = 'x'.repeat(1000) // the largest chat message (1024 bytes of JSON), in one packet
    await aliceClient.client.publishAsync(topic, JSON.stringify({ id: 'big', body }), { qos: 1 })
    await aliceClient.client.publishAsync(topic, JSON.stringify({ id: 'small', body: 'hi' }), { qos: 1 })
    const got = await bobClient.waitFor(topic, 2)
    expect(got.map((m) => [m.id, m.seq, m.from])).toEqual([
      ['big', 1, 'alice'],
      ['small', 2, 'alice']
    ])
    await Promise.all([aliceClient.end(), bobClient.end()])
  })
})

describe('CONNECT timeout: sockets that never authenticate are closed', () => {
  let node: TestNode
  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_CONNECT_TIMEOUT_MS: '300', MQCHAT_GENERIC_TOPICS: 'true', MQCHAT_ALLOW_ANONYMOUS: 'true' })
  })
  afterAll(() => node?.destroy())

  it('closes idle TCP, WebSocket and HTTP sockets; a connected client stays', async () => {
    const client = await connectClient(node.mqttUrl, undefined, { clientId: 'steady' })
    let clientClosed = false
    client.client.on('close', () => {
      clientClosed = true
    })
    const tcp = Array.from({ length: 50 }, () => closedByBroker(connectTcp(node.mqttPort, '127.0.0.1')))
    const http = Array.from({ length: 5 }, () => closedByBroker(connectTcp(node.httpPort, '127.0.0.1')))
    // and a slow request head that never ends
    const slow = Array.from({ length: 2 }, () => {
      const socket = connectTcp(node.httpPort, '127.0.0.1')
      socket.write('GET /v1/rooms HTTP/1.1\r\n')
      return closedByBroker(socket)
    })
    const ws = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<{ closed: Promise<void> }>((resolve, reject) => {
            const socket = new WebSocket(node.wsUrl, 'mqtt')
            const closed = closedByBroker(socket)
            socket.once('open', () => resolve({ closed }))
            socket.once('error', reject)
          })
      )
    )
    await Promise.all([...tcp, ...http, ...slow, ...ws.map((w) => w.closed)])
    // the client that sent CONNECT in time outlived all of them and still works
    expect(clientClosed).toBe(false)
    await client.client.subscribeAsync('telemetry/t', { qos: 1 })
    await client.client.publishAsync('telemetry/t', 'still here', { qos: 1 })
    expect(await client.waitFor('telemetry/t')).toEqual(['still here'])
    await client.end()
  })
})

describe('connection caps, counted over TCP and WebSocket', () => {
  let node: TestNode
  const clients: TestClient[] = []
  const held: Socket[] = []
  beforeAll(async () => {
    node = await startTestNode({
      MQCHAT_MAX_CONNECTIONS: '6',
      MQCHAT_MAX_CONNECTIONS_PER_IP: '4',
      MQCHAT_GENERIC_TOPICS: 'true',
      MQCHAT_ALLOW_ANONYMOUS: 'true'
    })
  })
  afterAll(async () => {
    for (const socket of held) socket.destroy()
    await Promise.all(clients.map((c) => c.end()))
    await node?.destroy()
  })
  const CONNACK_OK = [0x20, 2, 0, 0]
  const accepted = async (localAddress: string) => {
    const { reply, socket } = await probe(node.mqttPort, localAddress)
    held.push(socket)
    return reply === 'closed' ? reply : [...reply]
  }

  it('refuses a fifth socket from one address and a seventh overall; a closed one frees its place', async () => {
    // 127.0.0.1: two over TCP, two over WebSocket
    for (const url of [node.mqttUrl, node.wsUrl, node.mqttUrl, node.wsUrl]) clients.push(await connectClient(url, undefined))
    expect(await accepted('127.0.0.1')).toBe('closed')
    // other addresses (all of 127/8 is loopback) are not held to 127.0.0.1's four, until the node's six are taken
    expect(await accepted('127.0.0.2')).toEqual(CONNACK_OK)
    expect(await accepted('127.0.0.3')).toEqual(CONNACK_OK)
    expect(await accepted('127.0.0.4')).toBe('closed')
    expect(await accepted('127.0.0.1')).toBe('closed')
    // a WebSocket (an HTTP socket) is refused as well
    const ws = new WebSocket(node.wsUrl, 'mqtt')
    const wsOutcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'))
      ws.once('error', () => resolve('refused'))
    })
    expect(wsOutcome).toBe('refused')

    await (clients.shift() as TestClient).end()
    // the node sees the close a moment after the client: poll until the freed place is taken
    await eventually(
      () => accepted('127.0.0.1'),
      (reply) => reply !== 'closed'
    )
    expect(held.at(-1)?.destroyed).toBe(false)
  })
})
