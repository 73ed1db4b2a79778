import { rm } from 'node:fs/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { type Chat, connect, register } from '../../clients/sdk/index.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { range, record, seqsOf } from './sdk-helpers.js'

describe('SDK across a restart of its mqchat dev node', () => {
  let node: TestNode | undefined
  let dataDir: string | undefined
  const chats: Chat[] = []

  afterAll(async () => {
    await Promise.all(chats.map((chat) => chat.close()))
    await node?.close()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  it('recovers every message sent while the node was down or coming back, each once, in order; offline sends sequenced once', async () => {
    node = await startTestNode()
    dataDir = node.dataDir
    const url = node.httpUrl
    const password = 'correct horse battery'
    const alice = await register({ url, username: 'alice', password })
    const bob = await register({ url, username: 'bob', password })
    // MQTT over the node's own WebSocket (url + /mqtt), the SDK's default
    const atAlice = await connect({ url, token: alice.token })
    const fromBob = await connect({ url, token: bob.token })
    chats.push(atAlice, fromBob)
    const room = await atAlice.rest.createRoom({ name: 'restart', members: ['bob'] })
    const messages = record(atAlice, 'message')
    const status = record(atAlice, 'status')
    await atAlice.join(room.id)
    await fromBob.join(room.id)
    expect((await atAlice.send(room.id, 'before the restart')).seq).toBe(1)

    const ports = { MQCHAT_HTTP_PORT: String(node.httpPort), MQCHAT_MQTT_PORT: String(node.mqttPort) }
    await node.close()
    await status.waitFor(1)
    const offline = ['while down 1', 'while down 2', 'while down 3'].map((body, i) => atAlice.send(room.id, { id: `down-${i + 1}`, body }))
    node = await startTestNode(ports, dataDir)
    // bob's REST sends race alice's reconnect (1 s apart): whatever she misses comes from history
    for (let i = 1; i <= 20; i++) await fromBob.rest.sendMessage(room.id, { body: `after restart ${i}` })

    const sent = await Promise.all(offline)
    expect(new Set(sent.map((m) => m.seq)).size).toBe(3)
    await messages.waitFor(24)
    expect(seqsOf(messages.seen, room.id)).toEqual(range(1, 24))
    expect(messages.seen.filter((m) => m.from === 'bob').map((m) => m.body)).toEqual(range(1, 20).map((i) => `after restart ${i}`))
    expect(status.seen).toEqual(['reconnecting', 'online'])
    const stored = await atAlice.history(room.id, { after: 0, limit: 200 })
    expect(stored.messages.map((m) => m.seq)).toEqual(range(1, 24))
    expect(stored.messages.filter((m) => m.id.startsWith('down-')).map((m) => m.id)).toEqual(['down-1', 'down-2', 'down-3'])
  }, 60_000)
})
