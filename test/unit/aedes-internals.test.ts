import EventEmitter from 'node:events'
import { readFileSync } from 'node:fs'
import { Duplex } from 'node:stream'
import { Aedes } from 'aedes'
import Packet from 'aedes-packet'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js'
import { afterEach, describe, expect, it } from 'vitest'
import { deliverToClient, publishPacket, subscribedFilters } from '../../broker/aedes/client-internals.js'
import { encodeOnce } from '../../broker/aedes/encode-once.js'
import { fastPubacks } from '../../broker/aedes/puback-fast-path.js'

/**
 * Canary for the undocumented Aedes and aedes-persistence internals that broker/aedes/ relies on.
 * If one of these fails after a dependency change, read broker/aedes/ before changing the test.
 */

const pinned = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).dependencies as Record<string, string>
const installed = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version as string
const aedesSource = (file: string) => readFileSync(new URL(`../../node_modules/aedes/${file}`, import.meta.url), 'utf8')

/** A connection that never talks: enough for Aedes to build its Client. */
function silentConnection(): Duplex {
  return new Duplex({ read() {}, write: (_chunk, _encoding, callback) => callback() })
}

describe('Aedes internals behind broker/aedes/', () => {
  const brokers: Aedes[] = []
  const broker = () => {
    const aedes = new Aedes()
    brokers.push(aedes)
    return aedes
  }
  afterEach(async () => {
    for (const aedes of brokers.splice(0)) await new Promise<void>((resolve) => aedes.close(() => resolve()))
  })

  it('runs the exact versions the adapter was written against', () => {
    for (const name of ['aedes', 'aedes-packet', 'aedes-persistence-level', 'aedes-persistence-redis', 'mqemitter', 'mqemitter-redis']) {
      expect({ name, version: installed(name) }).toEqual({ name, version: pinned[name] })
    }
  })

  it('gives every Client a deliverQoS(packet, done) and a null-prototype subscriptions map', () => {
    const client = broker().handle(silentConnection())
    const internals = client as unknown as { deliverQoS: unknown; subscriptions: Record<string, unknown> }
    expect(typeof internals.deliverQoS).toBe('function')
    expect((internals.deliverQoS as (...args: unknown[]) => void).length).toBe(2)
    expect(typeof internals.subscriptions).toBe('object')
    expect(Object.getPrototypeOf(internals.subscriptions)).toBe(null)
    expect(subscribedFilters(client)).toEqual([])
    internals.subscriptions['rooms/r1/messages'] = { qos: 1 }
    expect(subscribedFilters(client)).toEqual(['rooms/r1/messages'])
    // it was never subscribed on the emitter: Aedes would unsubscribe it on close
    delete internals.subscriptions['rooms/r1/messages']
    client.close()
  })

  it('completes deliverQoS for a packet authorizeForward refuses (the adapter resolves on it)', async () => {
    const aedes = broker()
    aedes.authorizeForward = () => null
    const client = aedes.handle(silentConnection())
    await deliverToClient(client, publishPacket(aedes, 'sensors/a', Buffer.from('x'), 1))
    client.close()
  })

  it('stamps aedes-packet publishes with the broker id and its next counter, and copies dup', () => {
    const aedes = broker() as Aedes & { counter: number }
    const before = aedes.counter
    const packet = publishPacket(aedes, 'rooms/r1/messages', Buffer.from('{}'), 1) as unknown as Record<string, unknown>
    expect(packet).toMatchObject({ cmd: 'publish', topic: 'rooms/r1/messages', qos: 1, retain: false, dup: false })
    expect(packet.brokerId).toBe(aedes.id)
    expect(packet.brokerCounter).toBe(before + 1)
    expect('messageId' in packet && packet.messageId === undefined).toBe(true)
    // Aedes resends a stored delivery as new QoSPacket(stored): dup must survive the copy
    expect((new Packet({ topic: 't', qos: 1, dup: true, brokerId: 'b', brokerCounter: 1 }) as { dup: boolean }).dup).toBe(true)
  })

  it('has what encode-once replaces deliverQoS with: packet ids, de-duplication, drain, and the capture at SUBSCRIBE', () => {
    const aedes = broker()
    const client = aedes.handle(silentConnection())
    const internals = client as unknown as Record<string, unknown>
    expect(typeof internals._nextId).toBe('number')
    expect(internals._nextId).toBeGreaterThanOrEqual(1)
    expect(internals._nextId).toBeLessThanOrEqual(65535)
    expect(Object.getPrototypeOf(internals.duplicates)).toBe(null)
    expect(typeof internals.waitForDrain).toBe('function')
    expect([internals.connected, internals.errored, internals.version]).toEqual([false, false, null])
    encodeOnce(client)
    expect((internals.deliverQoS as { name: string }).name).toBe('deliverFramed')
    const subscribe = aedesSource('lib/handlers/subscribe.js')
    // each subscription captures deliverQoS when it is made (after preConnect) and copies the packet, payload included
    expect(subscribe).toContain('let func = qos > 0 ? client.deliverQoS : client.deliver0')
    expect(subscribe).toContain('_packet = new Packet(_packet, broker)')
    const original = publishPacket(aedes, 'rooms/r1/messages', Buffer.from('{}'), 1)
    expect((new Packet(original, aedes) as { payload: unknown }).payload).toBe(original.payload)
    const source = aedesSource('lib/client.js')
    expect(source).toContain('const result = (duplicates[id] || 0) < counter')
    expect(source).toContain('const toForward = dedupe(that, _packet) &&')
    expect(source).toContain('if (that.clean || packet.retain) {')
    expect(aedesSource('lib/qos-packet.js')).toContain('if (client._nextId >= 65535) {')
    expect(aedesSource('lib/write.js')).toContain('client.waitForDrain(done)')
    client.close()
  })

  it('parses an MQTT 3.x PUBACK into the packet the fast path builds, from a parser at a packet boundary', () => {
    const client = broker().handle(silentConnection())
    const parser = (
      client as unknown as {
        _parser: EventEmitter & { parse(b: Buffer): number; _list: { length: number }; _stateCounter: number; error: unknown }
      }
    )._parser
    expect([parser._list.length, parser._stateCounter, parser.error]).toEqual([0, 0, null])
    const seen: unknown[] = []
    const listener = (packet: unknown) => seen.push({ ...(packet as object) })
    parser.on('packet', listener)
    expect(parser.parse(Buffer.from([0x40, 0x02, 0x12, 0x34]))).toBe(0)
    expect(seen).toEqual([{ cmd: 'puback', retain: false, qos: 0, dup: false, length: 2, topic: null, payload: null, messageId: 0x1234 }])
    expect([parser._list.length, parser._stateCounter]).toEqual([0, 0])
    // inside a packet the parser is off its boundary: the fast path leaves such reads to it
    parser.parse(Buffer.from([0x40]))
    expect(parser._stateCounter).not.toBe(0)
    parser.parse(Buffer.from([0x02, 0x00]))
    expect([parser._stateCounter !== 0 || parser._list.length !== 0, seen.length]).toEqual([true, 1])
    parser.parse(Buffer.from([0x07]))
    expect([parser._list.length, parser._stateCounter, seen.length]).toEqual([0, 0, 2])
    parser.removeListener('packet', listener)
    fastPubacks(client)
    expect((parser.parse as { name: string }).name).toBe('parseWithPubacks')
    client.close()
  })

  it("emits broker-level failures as 'error' on an EventEmitter", () => {
    expect(broker()).toBeInstanceOf(EventEmitter)
  })

  it('passes the PUBREL it stores on PUBREC through outgoingUpdate, and resends stored deliveries via outgoingStream', () => {
    expect(aedesSource('lib/handlers/pubrec.js')).toContain('persistence.outgoingUpdate(client, pubrel)')
    const connect = aedesSource('lib/handlers/connect.js')
    expect(connect).toContain('persistence.outgoingStream(client)')
    expect(connect).toContain('new QoSPacket(data, client)')
    // [MQTT-4.7.2-1] wildcard subscriptions skip $ topics in Aedes itself
    expect(aedesSource('lib/handlers/subscribe.js')).toContain('function blockDollarSignTopics')
  })

  it('acknowledges QoS 1 before publishing, restores subscriptions before resending, then emits clientReady (ordered-publish, stored-first)', () => {
    // if Aedes publishes before its PUBACK, broker/aedes/ordered-publish.ts can go
    expect(aedesSource('lib/handlers/publish.js')).toMatch(
      /write\(client, new PubAck\(packet\), function \(err\) \{\s+if \(err\) \{ return done\(err\) \}\s+client\.broker\.publish\(packet, client, done\)/
    )
    expect(aedesSource('aedes.js')).toContain('publish (packet, client, done) {')
    const connect = aedesSource('lib/handlers/connect.js')
    expect(connect).toMatch(/restoreSubs,[\s\S]*doConnack,\s+emptyQueue\s+\]/)
    expect(connect).toContain("this.client.broker.emit('clientReady', client)")
    // live deliveries go through the instance's deliverQoS, which stored-first wraps at preConnect
    expect(aedesSource('lib/handlers/subscribe.js')).toContain('let func = qos > 0 ? client.deliverQoS : client.deliver0')
  })

  it('hands the persistence the Client itself for the wipes clean-sessions skips (connect, close, inbound QoS 2)', () => {
    const connect = aedesSource('lib/handlers/connect.js')
    for (const call of [
      'persistence.cleanSubscriptions(client)',
      'persistence.cleanIncoming(client)',
      'persistence.delWill(client)',
      'persistence.outgoingStream(client)'
    ]) {
      expect(connect).toContain(call)
    }
    // the will is stored after the wipe, on the connection's own Client
    expect(connect).toContain('persistence.putWill(client, client.will)')
    expect(aedesSource('lib/client.js')).toContain('persistence.cleanIncoming(that)')
    expect(aedesSource('lib/handlers/publish.js')).toContain('persistence.incomingStorePacket(client, packet)')
  })

  it.each([
    ['aedes-persistence-level', AsyncLevelPersistence.prototype],
    ['aedes-persistence-redis', AsyncRedisPersistence.prototype]
  ])('%s has the persistence methods the adapter wraps, with their arity', (_name, prototype) => {
    const methods = prototype as unknown as Record<string, (...args: unknown[]) => unknown>
    const arity = Object.fromEntries(
      ['outgoingUpdate', 'outgoingClearMessageId', 'outgoingStream', 'createRetainedStreamCombi', 'addSubscriptions'].map((name) => [
        name,
        typeof methods[name] === 'function' ? methods[name].length : 'missing'
      ])
    )
    expect(arity).toEqual({
      outgoingUpdate: 2,
      outgoingClearMessageId: 2,
      outgoingStream: 1,
      createRetainedStreamCombi: 1,
      addSubscriptions: 2
    })
  })
})
