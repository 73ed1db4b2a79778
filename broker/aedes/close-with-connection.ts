import type { Client } from 'aedes'

/** What Aedes 1.2's Client keeps to follow its connection (lib/client.js). */
interface FollowingClient {
  closed: boolean
  /** `stream.finished(conn, close)`'s cleanup: Aedes calls it from close() and then sets a no-op. */
  _eos: () => void
  conn: { closed?: boolean; on(event: 'close', listener: (this: { client?: Client }) => void): unknown }
}

const noop = () => undefined

/** The one 'close' listener of every connection: closes the Aedes client the connection carries (`conn.client`). */
function closeClient(this: { client?: Client }): void {
  this.client?.close()
}

/**
 * Aedes follows each connection with `stream.finished(conn, client.close)`: seven closures, a
 * context and three callback wrappers, and a third 'end' listener that grows the listener array,
 * ~1 KiB of every idle connection (bench S3 heap snapshot). Aedes itself closes the client on the
 * connection's 'end' and 'error'; what `finished` adds is the close when the connection closes
 * without either, which one 'close' listener shared by every connection does: sockets and the
 * WebSocket stream emit 'close' once they end, fail or are destroyed. Call from preConnect.
 */
export function closeWithConnection(client: Client): void {
  const self = client as unknown as FollowingClient
  if (typeof self._eos !== 'function' || typeof self.conn?.on !== 'function' || (self.conn as { client?: unknown }).client !== client) {
    throw new Error('aedes client changed shape: broker/aedes/close-with-connection.ts needs updating')
  }
  // closed already: finished saw it and Aedes's close() released its listeners
  if (self.closed || self.conn.closed) return
  self._eos()
  self._eos = noop
  self.conn.on('close', closeClient)
}
