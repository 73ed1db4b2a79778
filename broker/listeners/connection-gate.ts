import type { Socket } from 'node:net'

export interface ConnectionGateOptions {
  /** Open sockets over every listener of this node; 0: no cap. */
  maxConnections: number
  /** Open sockets per remote address; 0: no cap. */
  maxPerAddress: number
}

export type RefusalReason = 'max_connections' | 'max_connections_per_ip' | 'packet_too_large' | 'malformed_length'

/**
 * Counts the sockets open on every listener of a node (MQTT, MQTT over TLS, HTTP and its
 * WebSockets) and refuses a new one past the global or per-address cap, before it costs more
 * than an accepted file descriptor: the socket is destroyed at once, before any byte is read.
 */
export class ConnectionGate {
  private open = 0
  private readonly perAddress = new Map<string, number>()
  /**
   * One 'close' listener shared by every socket, where a closure per socket (and `once`'s wrapper)
   * cost 256 bytes of each idle connection (bench S3 heap snapshot). `remoteAddress` reads the
   * address Node cached when `admit` first read it, so the same address is released.
   */
  private readonly onClose: (this: Socket) => void

  constructor(
    private readonly options: ConnectionGateOptions,
    private readonly onRefused: (reason: RefusalReason) => void = () => undefined
  ) {
    const gate = this
    this.onClose = function onSocketClose(this: Socket) {
      gate.release(this.remoteAddress ?? 'unknown')
    }
  }

  get size(): number {
    return this.open
  }

  /** Admits `socket` (returns true and counts it until it closes) or destroys it (returns false). */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress ?? 'unknown'
    const fromAddress = this.perAddress.get(address) ?? 0
    const { maxConnections, maxPerAddress } = this.options
    const reason: RefusalReason | null =
      maxConnections > 0 && this.open >= maxConnections
        ? 'max_connections'
        : maxPerAddress > 0 && fromAddress >= maxPerAddress
          ? 'max_connections_per_ip'
          : null
    if (reason) {
      this.onRefused(reason)
      socket.destroy()
      return false
    }
    this.open += 1
    this.perAddress.set(address, fromAddress + 1)
    socket.on('close', this.onClose)
    return true
  }

  private release(address: string): void {
    this.open -= 1
    const left = (this.perAddress.get(address) ?? 1) - 1
    if (left > 0) this.perAddress.set(address, left)
    else this.perAddress.delete(address)
  }
}
