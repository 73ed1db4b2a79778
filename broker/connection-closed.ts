/** The part of a connection's stream (net.Socket, the WebSocket's Duplex) that `onClosed` uses. */
export interface ClosableConnection {
  /** True once 'close' was emitted (Node 18+ streams). */
  readonly closed?: boolean
  on(event: 'close', listener: () => void): unknown
}

/**
 * Calls `callback` once the connection has closed, at once (in a microtask) when it already has.
 * One 'close' listener where `stream.finished` adds seven closures and a context: two of those per
 * connection were 1 KiB of every idle connection's heap (bench S3 heap snapshot). Sockets and the
 * WebSocket stream always emit 'close' after they end, fail or are destroyed, and only once: `on`,
 * because `once` wraps each listener in a bound function and a state object (152 bytes a listener).
 */
export function onClosed(conn: ClosableConnection, callback: () => void): void {
  if (conn.closed) queueMicrotask(callback)
  else conn.on('close', callback)
}
