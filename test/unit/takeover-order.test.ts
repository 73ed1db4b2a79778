import EventEmitter from 'node:events'
import mqemitter from 'mqemitter'
import { describe, expect, it } from 'vitest'
import { TAKEOVER_CHANNEL, TakeoverOrder, takeoverChannel } from '../../broker/aedes/takeover-order.js'
import type { EmittedPacket, Emitter } from '../../broker/split-emitter.js'

/** A node as the guard sees it: its id, its 'client' events, and Aedes's takeover listener on its emitter. */
function node(id: string, now: () => number) {
  const order = new TakeoverOrder(now)
  const emitter = order.watch(mqemitter() as unknown as Emitter)
  const broker = Object.assign(new EventEmitter(), { id })
  order.attach(broker)
  const takenOver: string[] = []
  emitter.on('$SYS/+/new/clients', (packet: EmittedPacket, done) => {
    // what Aedes's closeSameClients acts on: another node's notice
    if (packet.topic.split('/')[1] !== id) takenOver.push(String(packet.payload))
    done()
  })
  const notice = (from: string, clientId: string) =>
    new Promise<void>((resolve) =>
      emitter.emit({ topic: `$SYS/${from}/new/clients`, payload: Buffer.from(clientId) } as EmittedPacket, () => resolve())
    )
  return { takenOver, notice, register: (clientId: string) => broker.emit('client', { id: clientId }) }
}

describe('TakeoverOrder', () => {
  it("passes another node's notice once this node's own notice of the connection came back before it", async () => {
    const a = node('a', () => 0)
    a.register('device')
    await a.notice('a', 'device')
    await a.notice('b', 'device')
    expect(a.takenOver).toEqual(['device'])
  })

  it("ignores another node's notice that arrives while this node's later notice is still on its way", async () => {
    const a = node('a', () => 0)
    a.register('device')
    await a.notice('b', 'device')
    await a.notice('a', 'device')
    expect(a.takenOver).toEqual([])
    // a later connection elsewhere still takes over
    await a.notice('b', 'device')
    expect(a.takenOver).toEqual(['device'])
  })

  it('counts each registration here: a notice between two of them is older than the second', async () => {
    const a = node('a', () => 0)
    a.register('device')
    a.register('device')
    await a.notice('a', 'device')
    await a.notice('b', 'device')
    expect(a.takenOver).toEqual([])
    await a.notice('a', 'device')
    await a.notice('b', 'device')
    expect(a.takenOver).toEqual(['device'])
  })

  it("takes a notice of this node missing for a minute as lost: other nodes' notices take over again", async () => {
    let now = 0
    const a = node('a', () => now)
    a.register('device')
    await a.notice('b', 'device')
    now = 60_000
    await a.notice('b', 'device')
    expect(a.takenOver).toEqual(['device'])
  })

  it('leaves notices of ids not connected here, and every other topic, alone', async () => {
    const a = node('a', () => 0)
    a.register('device')
    await a.notice('b', 'other')
    expect(a.takenOver).toEqual(['other'])
  })

  it("sends every node's notices on one channel, and nothing else there", () => {
    expect(takeoverChannel('$SYS/node-a/new/clients')).toBe(TAKEOVER_CHANNEL)
    expect(takeoverChannel('$SYS/node-b/new/clients')).toBe(TAKEOVER_CHANNEL)
    expect(takeoverChannel('$SYS/node-a/new/subscribes')).toBe('$SYS/node-a/new/subscribes')
    expect(takeoverChannel('devices/a/new/clients')).toBe('devices/a/new/clients')
  })
})
