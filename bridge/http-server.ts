import { createServer } from 'node:http'
import type { Aedes } from 'aedes'
import type { Express } from 'express'
import { listen } from '../broker/listeners/listen.js'
import { attachWebSocket } from '../broker/listeners/websocket.js'

/** One HTTP port: the REST API and, at /mqtt, MQTT over WebSocket (frames up to `maxFrameBytes`). */
export async function listenHttp(
  app: Express,
  aedes: Aedes,
  options: { host: string; port: number; maxFrameBytes: number }
): Promise<{ port: number; close(): Promise<void> }> {
  const { host, port } = options
  const server = createServer(app)
  const wss = attachWebSocket(aedes, server, '/mqtt', options.maxFrameBytes)
  return {
    port: await listen(server, port, host, 'HTTP'),
    /** Stops accepting and ends every connection, WebSocket ones too (closeAllConnections skips upgraded sockets). */
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const client of wss.clients) client.terminate()
      wss.close()
      server.closeAllConnections()
      return closed
    }
  }
}
