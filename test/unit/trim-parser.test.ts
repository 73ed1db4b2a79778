import { createRequire } from 'node:module'
import type { Client } from 'aedes'
import { describe, expect, it } from 'vitest'
import { trimParser } from '../../broker/aedes/trim-parser.js'

// mqtt-packet as Aedes loads it (a dependency of Aedes, not of mqchat)
const aedesRequire = createRequire(createRequire(import.meta.url).resolve('aedes'))
const mqttPacket = createRequire(aedesRequire.resolve('mqtt-packet'))('mqtt-packet') as {
  parser(): { on(event: 'packet', listener: (packet: Record<string, unknown>) => void): void; parse(buf: Buffer): number; settings: object }
  generate(packet: Record<string, unknown>): Buffer
}

describe('trimParser: what mqtt-packet keeps after CONNECT (issue 11 item 3)', () => {
  it('drops the CONNECT packet (and its token) from the parser and keeps parsing split packets in order', () => {
    const parser = mqttPacket.parser()
    const packets: Record<string, unknown>[] = []
    parser.on('packet', (packet) => packets.push(packet))
    const connect = {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'c1',
      keepalive: 60,
      username: 'u',
      password: Buffer.from('a-token')
    }
    parser.parse(mqttPacket.generate(connect))
    expect(String((parser.settings as { password?: Buffer }).password)).toBe('a-token')

    trimParser({ _parser: parser } as unknown as Client)
    expect(parser.settings).toEqual({ protocolVersion: 4, bridgeMode: undefined })

    const publish = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'.repeat(300)), qos: 1, messageId: 9 })
    const puback = mqttPacket.generate({ cmd: 'puback', messageId: 3 })
    const bytes = Buffer.concat([publish, puback])
    // split mid-header, mid-payload and across the packet boundary
    for (const [from, to] of [
      [0, 1],
      [1, 150],
      [150, publish.length + 1],
      [publish.length + 1, bytes.length]
    ]) {
      parser.parse(bytes.subarray(from, to))
    }
    expect(packets.map((p) => [p.cmd, p.messageId])).toEqual([
      ['connect', undefined],
      ['publish', 9],
      ['puback', 3]
    ])
    expect(String(packets[1]?.payload)).toBe('x'.repeat(300))
  })

  it('refuses a parser of another shape instead of trimming blindly', () => {
    expect(() => trimParser({ _parser: { parse() {} } } as unknown as Client)).toThrow(/changed shape/)
  })
})
