import { createServer, type Server } from 'node:net'
import type { Aedes } from 'aedes'
import { coalesceWrites } from '../aedes/coalesce-writes.js'
import { listen } from './listen.js'
import type { ListenerGuards } from './listener-guards.js'

/** MQTT over plain TCP. Aedes's `connectTimeout` closes a socket that sends no CONNECT. */
export async function listenTcp(
  aedes: Aedes,
  guards: ListenerGuards,
  host: string,
  port: number
): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    if (!guards.admit(socket)) return
    socket.setNoDelay(true)
    aedes.handle(coalesceWrites(guards.guardPackets(socket)))
  })
  return { server, port: await listen(server, port, host, 'MQTT') }
}
