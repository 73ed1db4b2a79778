import type { Server } from 'node:http'
import type { Aedes } from 'aedes'
import { createWebSocketStream, WebSocketServer } from 'ws'
import type { ListenerGuards } from './listener-guards.js'

/**
 * MQTT over WebSocket on `path` of an existing HTTP(S) server (browsers). `maxPayload` caps one
 * WebSocket message; MQTT packets may span many messages, so the packet limit is applied to the
 * reassembled byte stream Aedes reads.
 */
export function attachWebSocket(aedes: Aedes, server: Server, path: string, maxPayload: number, guards: ListenerGuards): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : (protocols.values().next().value ?? false))
  })
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = guards.guardPackets(createWebSocketStream(ws))
      stream.on('error', () => stream.destroy())
      aedes.handle(stream, req)
    })
  })
  return wss
}
