import { afterAll, describe, expect, it } from 'vitest'
import { connectClient } from '../helpers/mqtt.js'
import { killAllNodes, spawnNode } from '../helpers/node-process.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

describe('graceful shutdown', () => {
  afterAll(() => killAllNodes())

  it('SIGTERM ends open TCP and WebSocket connections and exits 0', async () => {
    const dir = await makeTempDir()
    const node = await spawnNode(dir.path)
    const rest = restClient(node.httpUrl)
    const alice = await rest.register('alice')
    const overWs = await connectClient(`ws://127.0.0.1:${node.httpPort}/mqtt`, alice.token)
    const overTcp = await connectClient(node.mqttUrl, alice.token)
    const closed = Promise.all([overWs, overTcp].map((c) => new Promise<void>((resolve) => c.client.once('close', () => resolve()))))
    const exit = await node.stop('SIGTERM', 10_000)
    expect(exit).toEqual({ code: 0, signal: null })
    await closed
    await Promise.all([overWs.end(), overTcp.end()])
    await dir.remove()
  })
})
