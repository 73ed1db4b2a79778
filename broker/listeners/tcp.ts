import { createServer, type Server, type Socket } from 'node:net'
import type { Aedes } from 'aedes'
import { listen } from './listen.js'

/** MQTT over plain TCP. */
export async function listenTcp(aedes: Aedes, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.setNoDelay(true)
    aedes.handle(coalesceWrites(socket))
  })
  return { server, port: await listen(server, port, host, 'MQTT') }
}

/**
 * Aedes writes every delivery in its own event-loop turn, and mqtt-packet uncorks after each
 * packet: one syscall per message per subscriber (a fifth of the broker's time in fan-out).
 * Keeping the socket corked until the next turn sends everything written in this one together.
 */
function coalesceWrites(socket: Socket): Socket {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  let corked = false
  const uncork = () => {
    corked = false
    socket.uncork()
  }
  socket.write = ((...args: unknown[]) => {
    if (!corked && !socket.destroyed) {
      corked = true
      socket.cork()
      setImmediate(uncork)
    }
    return write(...args)
  }) as Socket['write']
  return socket
}
