import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import { connectClient, type TestClient, wrap } from '../helpers/mqtt.js'
import type { TestRedisCluster } from '../helpers/redis-cluster.js'
import { restClient } from '../helpers/rest.js'

/**
 * What Aedes keeps in aedes-persistence-redis and fans out over mqemitter-redis, on a Redis Cluster:
 * retained messages, queued QoS 1 messages of a persistent session (stored with two keys in two
 * slots: broker/aedes/cluster-session-connection.ts), wills, and live fan-out between nodes.
 */
describe('sessions, retained messages, wills and fan-out on a Redis Cluster', () => {
  let cluster: TestCluster<TestRedisCluster>
  let nodes: Awaited<ReturnType<TestCluster['start']>>[]
  let rest: ReturnType<typeof restClient>
  const clients: TestClient[] = []
  const track = (client: TestClient) => {
    clients.push(client)
    return client
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ MQCHAT_RATE_LIMIT_PER_SECOND: '0', MQCHAT_GENERIC_TOPICS: 'true' }, { redisCluster: true })
    nodes = [await cluster.start('broker'), await cluster.start('broker')]
    rest = restClient((await cluster.start('bridge')).httpUrl)
  }, 120_000)
  afterAll(async () => {
    for (const client of clients) client.client.end(true)
    await cluster?.stop()
  })

  /** A persistent session (clean: false) whose listener is attached before CONNECT. */
  function resume(url: string, token: string, clientId: string): Promise<TestClient> {
    const client = mqtt.connect(url, { username: 'u', password: token, clientId, clean: false, reconnectPeriod: 0, connectTimeout: 5000 })
    const wrapped = track(wrap(client))
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve(wrapped))
      client.once('error', reject)
    })
  }

  it('a generic publish on one node reaches a subscriber on the other, live', async () => {
    const { token } = await rest.register('live')
    const subscriber = track(await connectClient(nodes[0]!.mqttUrl, token))
    await subscriber.client.subscribeAsync('devices/live/#', { qos: 1 })
    const publisher = track(await connectClient(nodes[1]!.mqttUrl, token))
    await publisher.client.publishAsync('devices/live/t', 'hello', { qos: 1 })
    expect((await subscriber.waitFor('devices/live/t', 1)).map(String)).toEqual(['hello'])
  })

  it('a retained message stored through one node is served by the other; an empty one clears it', async () => {
    const { token } = await rest.register('retainer')
    const publisher = track(await connectClient(nodes[0]!.mqttUrl, token))
    await publisher.client.publishAsync('devices/kept/status', 'on', { qos: 1, retain: true })
    const reader = track(await connectClient(nodes[1]!.mqttUrl, token))
    await reader.client.subscribeAsync('devices/kept/#', { qos: 1 })
    expect((await reader.waitFor('devices/kept/status', 1)).map(String)).toEqual(['on'])
    await publisher.client.publishAsync('devices/kept/status', '', { qos: 1, retain: true })
    const later = track(await connectClient(nodes[1]!.mqttUrl, token))
    // a live copy of the clearing publish may still cross the Cluster bus after this SUBSCRIBE (it is not
    // retained then); what must not come is a retained status
    const retained: string[] = []
    later.client.on('message', (topic, payload, packet) => {
      if (packet.retain) retained.push(`${topic}=${payload}`)
    })
    await later.client.subscribeAsync('devices/kept/#', { qos: 1 })
    await publisher.client.publishAsync('devices/kept/marker', 'after', { qos: 1 })
    expect((await later.waitFor('devices/kept/marker', 1)).map(String)).toEqual(['after'])
    expect(retained).toEqual([])
  })

  it('QoS 1 messages published while a persistent session is away are delivered once when it returns, then forgotten', async () => {
    const { token } = await rest.register('sleeper')
    const first = await resume(nodes[0]!.mqttUrl, token, 'sleeper-device')
    await first.client.subscribeAsync('devices/sleeper/#', { qos: 1 })
    await first.client.endAsync()
    const publisher = track(await connectClient(nodes[1]!.mqttUrl, token))
    for (const n of [1, 2, 3]) await publisher.client.publishAsync('devices/sleeper/cmd', `c${n}`, { qos: 1 })
    const back = await resume(nodes[1]!.mqttUrl, token, 'sleeper-device')
    expect((await back.waitFor('devices/sleeper/cmd', 3)).map(String)).toEqual(['c1', 'c2', 'c3'])
    await back.client.endAsync()
    // acknowledged: nothing is delivered again on the next return
    const again = await resume(nodes[0]!.mqttUrl, token, 'sleeper-device')
    await publisher.client.publishAsync('devices/sleeper/cmd', 'c4', { qos: 1 })
    expect((await again.waitFor('devices/sleeper/cmd', 1)).map(String)).toEqual(['c4'])
    expect(again.on('devices/sleeper/cmd').map(String)).toEqual(['c4'])
  })

  it('a returning persistent session gets what was queued in publish order, each message once, before anything live (12 rounds)', async () => {
    // Aedes answers a QoS 1 publish before it queues it (broker/aedes/ordered-publish.ts), and a
    // Cluster hands a PUBLISH to other nodes' subscribers late, after the session is back on one
    // (broker/aedes/stored-first.ts): races, so a dozen rounds, publishes awaited and pipelined.
    // The session subscribes on the publisher's node, which knows it before SUBACK (the other node
    // learns it over pub/sub, later)
    const { token } = await rest.register('rounds')
    const publisher = track(await connectClient(nodes[1]!.mqttUrl, token))
    const sent = ['m1', 'm2', 'm3', 'm4', 'm5']
    for (let round = 0; round < 12; round++) {
      const topic = `devices/rounds/r${round}`
      const away = await resume(nodes[1]!.mqttUrl, token, `rounds-${round}`)
      await away.client.subscribeAsync(`${topic}/#`, { qos: 1 })
      await away.client.endAsync()
      if (round % 2 === 0) for (const m of sent) await publisher.client.publishAsync(topic, m, { qos: 1 })
      else await Promise.all(sent.map((m) => publisher.client.publishAsync(topic, m, { qos: 1 })))
      const back = await resume(nodes[0]!.mqttUrl, token, `rounds-${round}`)
      await back.waitFor(topic, sent.length)
      // a live copy delivered before the stored ones, or one of them twice, shows up here
      expect({ round, received: back.on(topic).map(String) }).toEqual({ round, received: sent })
      await back.client.endAsync()
      expect({ round, received: back.on(topic).map(String) }).toEqual({ round, received: sent })
    }
  })

  it('the will of a connection lost on one node reaches a subscriber on the other', async () => {
    const { token } = await rest.register('willing')
    const watcher = track(await connectClient(nodes[1]!.mqttUrl, token))
    await watcher.client.subscribeAsync('devices/willing/status', { qos: 1 })
    const device = track(
      await connectClient(nodes[0]!.mqttUrl, token, {
        will: { topic: 'devices/willing/status', payload: Buffer.from('gone'), qos: 1, retain: false }
      })
    )
    device.client.stream.destroy()
    expect((await watcher.waitFor('devices/willing/status', 1)).map(String)).toEqual(['gone'])
  })
})
