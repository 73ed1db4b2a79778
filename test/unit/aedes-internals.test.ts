import EventEmitter from 'node:events'
import { readFileSync } from 'node:fs'
import { Duplex } from 'node:stream'
import { Aedes } from 'aedes'
import Packet from 'aedes-packet'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js'
import { afterEach, describe, expect, it } from 'vitest'
import { deliverToClient, publishPacket, subscribedFilters } from '../../broker/aedes/client-internals.js'

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
