import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { connectClient } from '../helpers/mqtt.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const RETAINED = 3000

/**
 * Aedes streams a SUBSCRIBE's retained messages from the session store in the background, with no error
 * handler, and does not wait for that stream when it closes. A node closed in the middle of one closed
 * its LevelDB under the stream: "Iterator is not open", thrown out of the process. The node now ends
 * those reads before its store closes.
 */
describe('closing a node while it streams retained messages for a SUBSCRIBE', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  let node: TestNode
  let token: string

  beforeAll(async () => {
    dir = await makeTempDir()
    node = await startTestNode({ MQCHAT_GENERIC_TOPICS: 'true' }, dir.path)
    token = (await restClient(node.httpUrl).register('mallory')).token
  })
  afterAll(async () => {
    await node.destroy()
    await dir.remove()
  })

  it('closes cleanly with the read under way, and the retained messages are all there after a restart', async () => {
    // what reaches the process's uncaught-exception handler (vitest's, which would fail the run too)
    const uncaught: unknown[] = []
    const monitor = (error: unknown) => uncaught.push(error)
    process.on('uncaughtExceptionMonitor', monitor)
    onTestFinished(() => void process.off('uncaughtExceptionMonitor', monitor))
    const publisher = await connectClient(node.mqttUrl, token)
    for (let i = 0; i < RETAINED; i++) publisher.client.publish(`devices/${i}`, 'x'.repeat(100), { qos: 0, retain: true })
    // stored once delivered (Aedes acknowledges a QoS 1 PUBLISH before it stores it)
    await publisher.client.subscribeAsync('devices/last', { qos: 0 })
    await publisher.client.publishAsync('devices/last', 'last', { qos: 1, retain: true })
    await publisher.waitFor('devices/last')
    await publisher.end()

    const reader = await connectClient(node.mqttUrl, token)
    reader.client.subscribe('devices/#', { qos: 0 })
    await reader.waitFor('devices/0')
    await node.close()
    // the node closed in the middle of the read
    expect(reader.received.length).toBeLessThan(RETAINED + 1)
    reader.client.end(true)

    node = await startTestNode({ MQCHAT_GENERIC_TOPICS: 'true' }, dir.path)
    const again = await connectClient(node.mqttUrl, token)
    await again.client.subscribeAsync('devices/#', { qos: 0 })
    await again.waitFor('devices/last', 1, 15_000)
    expect(new Set(again.received.map((m) => m.topic)).size).toBe(RETAINED + 1)
    await again.end()
    expect(uncaught).toEqual([])
  })
})
