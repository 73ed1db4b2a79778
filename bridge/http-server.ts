import { createServer, type Server } from 'node:http'
import type { Aedes } from 'aedes'
import type { Express } from 'express'
import { listen } from '../broker/listeners/listen.js'
import { attachWebSocket } from '../broker/listeners/websocket.js'

/** One HTTP port: the REST API and, at /mqtt, MQTT over WebSocket (frames up to `maxFrameBytes`). */
export async function listenHttp(
  app: Express,
  aedes: Aedes,
  options: { host: string; port: number; maxFrameBytes: number }
): Promise<{ server: Server; port: number }> {
  const { host, port } = options
  const server = createServer(app)
  attachWebSocket(aedes, server, '/mqtt', options.maxFrameBytes)
  return { server, port: await listen(server, port, host, 'HTTP') }
}

export function closeServer(server: { close(cb: (err?: Error) => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}
