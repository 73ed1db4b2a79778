import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { Counter, Gauge, type Registry } from 'prom-client'
import { ConnectionGate, type ConnectionGateOptions, type RefusalReason } from './connection-gate.js'
import { PacketTooLarge, packetSizeGuard } from './packet-size-guard.js'

export interface ListenerGuardOptions extends ConnectionGateOptions {
  /** Largest MQTT packet accepted on any transport, fixed header included. */
  maxPacketBytes: number
  /** How long a socket may stay without CONNECT, TLS handshake or HTTP request headers. */
  connectTimeoutMs: number
}

/** What every listener of a node applies to what it accepts: one gate, one packet limit, one timeout. */
export interface ListenerGuards {
  readonly options: ListenerGuardOptions
  /** Counts an accepted socket toward the caps, or destroys it and returns false. */
  admit(socket: Socket): boolean
  /** Cuts `stream` (the bytes Aedes will parse) off at the first MQTT packet over the limit. */
  guardPackets<S extends Readable>(stream: S): S
}

export function createListenerGuards(options: ListenerGuardOptions, registry: Registry): ListenerGuards {
  const refused = new Counter({
    name: 'mqchat_connections_refused_total',
    help: 'Sockets closed by a listener limit, by reason',
    labelNames: ['reason'] as const,
    registers: [registry]
  })
  const count = (reason: RefusalReason) => refused.inc({ reason })
  const gate = new ConnectionGate(options, count)
  new Gauge({
    name: 'mqchat_sockets_open',
    help: 'Sockets open on all listeners (MQTT, MQTT over TLS, HTTP and WebSocket)',
    registers: [registry],
    collect() {
      this.set(gate.size)
    }
  })
  const guardPackets = packetSizeGuard(options.maxPacketBytes, (error) =>
    count(error instanceof PacketTooLarge ? 'packet_too_large' : 'malformed_length')
  )
  return {
    options,
    admit: (socket) => gate.admit(socket),
    guardPackets
  }
}
