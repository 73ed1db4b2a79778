import { createServer, type Server } from 'node:net'
import { TLSSocket } from 'node:tls'
import type { Aedes } from 'aedes'
import { coalesceWrites } from '../aedes/coalesce-writes.js'
import { listen } from './listen.js'
import type { ListenerGuards } from './listener-guards.js'
import type { TlsCredentials } from './tls-credentials.js'

/**
 * MQTT over TLS. Each accepted socket is wrapped here rather than by a `tls.Server`, so that the
 * packet-size guard is on the TLS socket before its first decrypted byte (a client may send its
 * CONNECT in the same flight as its handshake), and Aedes's `connectTimeout` also covers a
 * handshake that never finishes. A new certificate (SIGHUP) applies to connections accepted
 * after it; open ones keep theirs.
 */
export async function listenTls(
  aedes: Aedes,
  guards: ListenerGuards,
  credentials: TlsCredentials,
  host: string,
  port: number
): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    if (!guards.admit(socket)) return
    socket.setNoDelay(true)
    const secure = new TLSSocket(socket, { isServer: true, secureContext: credentials.context })
    aedes.handle(coalesceWrites(guards.guardPackets(secure)))
  })
  return { server, port: await listen(server, port, host, 'MQTT over TLS') }
}
