import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { Aedes } from 'aedes'
import type { Express } from 'express'
import { listen } from '../broker/listeners/listen.js'
import type { ListenerGuards } from '../broker/listeners/listener-guards.js'
import type { TlsCredentials } from '../broker/listeners/tls-credentials.js'
import { attachWebSocket } from '../broker/listeners/websocket.js'

export interface HttpServerOptions {
  host: string
  port: number
  maxFrameBytes: number
  /** Serve HTTPS and WSS with these (reloaded on SIGHUP) instead of HTTP and WS. */
  tls: TlsCredentials | null
  /** Told of listener errors after start-up (EMFILE on accept, say), which must not end the process. */
  onListenerError(error: Error): void
}

/** One HTTP(S) port: the REST API and, at /mqtt, MQTT over WebSocket (frames up to `maxFrameBytes`). */
export async function listenHttp(
  app: Express,
  aedes: Aedes,
  guards: ListenerGuards,
  options: HttpServerOptions
): Promise<{ port: number; close(): Promise<void> }> {
  const { host, port, tls } = options
  const timeout = guards.options.connectTimeoutMs
  // a socket that sends no complete request head within the connect timeout is closed, as an MQTT one without CONNECT
  const httpOptions = {
    headersTimeout: timeout,
    requestTimeout: Math.max(300_000, timeout),
    connectionsCheckingInterval: Math.min(timeout, 30_000)
  }
  let server: Server
  if (tls) {
    const https = createHttpsServer({ ...httpOptions, ...tls.pem, handshakeTimeout: timeout }, app)
    tls.onReload(() => https.setSecureContext(tls.pem))
    server = https
  } else {
    server = createHttpServer(httpOptions, app)
  }
  server.on('connection', (socket) => guards.admit(socket))
  // headersTimeout only starts at a request's first byte: a socket that sends nothing is closed here
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    if (socket.destroyed) return
    const timer = setTimeout(() => socket.destroy(), timeout)
    const clear = () => clearTimeout(timer)
    socket.once('data', clear)
    socket.once('close', clear)
  })
  const wss = attachWebSocket(aedes, server, '/mqtt', options.maxFrameBytes, guards)
  const listening = await listen(server, port, host, tls ? 'HTTPS' : 'HTTP')
  server.on('error', options.onListenerError)
  return {
    port: listening,
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
