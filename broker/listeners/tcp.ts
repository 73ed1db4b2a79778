import { createServer, type Server } from 'node:net'
import type { Aedes } from 'aedes'
import { coalesceWrites } from '../aedes/coalesce-writes.js'
import { listen } from './listen.js'

/** MQTT over plain TCP. */
export async function listenTcp(aedes: Aedes, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.setNoDelay(true)
    aedes.handle(coalesceWrites(socket))
  })
  return { server, port: await listen(server, port, host, 'MQTT') }
}
