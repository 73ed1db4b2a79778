import { connect as connectTcp, type Socket } from 'node:net'
import WebSocket from 'ws'

/** The fixed header of an MQTT packet of type `type` announcing `remaining` bytes ([MQTT-2.2.3]). */
export function fixedHeader(type: number, remaining: number): Buffer {
  const bytes = [type]
  let left = remaining
  do {
    let byte = left % 128
    left = Math.floor(left / 128)
    if (left > 0) byte |= 0x80
    bytes.push(byte)
  } while (left > 0)
  return Buffer.from(bytes)
}

/** What a flood achieved: bytes the transport took before the peer closed it, and whether it did. */
export interface FloodResult {
  bytesAccepted: number
  closedByPeer: boolean
}

/**
 * Writes a CONNECT header announcing `announced` bytes, then that many zero bytes in 64 KiB
 * pieces, each once the previous ones were taken (backpressure), until all are written or the
 * broker closes the socket. `socket` is still connecting; `ready` is its connected event.
 */
export function floodSocket(socket: Socket, ready: 'connect' | 'secureConnect', announced: number): Promise<FloodResult> {
  return new Promise((resolve) => {
    let accepted = 0
    let settled = false
    const chunk = Buffer.alloc(65_536)
    const finish = (closedByPeer: boolean) => {
      if (settled) return
      settled = true
      resolve({ bytesAccepted: accepted, closedByPeer })
    }
    // a reset is one way the broker ends it; 'close' follows and decides
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') throw error
    })
    socket.once('close', () => finish(true))
    const pump = () => {
      while (!settled && accepted < announced) {
        const ok = socket.write(chunk, (error) => {
          if (!error) accepted += chunk.length
        })
        if (!ok) return void socket.once('drain', pump)
      }
      if (settled) return
      finish(false)
      socket.destroy()
    }
    socket.once(ready, () => {
      socket.write(fixedHeader(0x10, announced))
      pump()
    })
  })
}

/** `floodSocket` over plain TCP. */
export function floodTcp(port: number, announced: number): Promise<FloodResult> {
  return floodSocket(connectTcp(port, '127.0.0.1'), 'connect', announced)
}

/**
 * MQTT over WebSocket: a CONNECT header announcing `announced` bytes, then the body as separate
 * binary WebSocket messages of `chunkBytes` each (every one well under the server's frame cap).
 */
export function floodWebSocket(url: string, announced: number, chunkBytes = 65_536): Promise<FloodResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'mqtt')
    let accepted = 0
    let closed = false
    const chunk = Buffer.alloc(chunkBytes)
    // the broker may cut the socket mid-frame; 'close' follows and decides
    ws.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') throw error
    })
    ws.once('close', () => {
      closed = true
      resolve({ bytesAccepted: accepted, closedByPeer: true })
    })
    const next = () => {
      if (closed) return
      if (accepted >= announced) {
        closed = true
        ws.close()
        resolve({ bytesAccepted: accepted, closedByPeer: false })
        return
      }
      ws.send(chunk, (error) => {
        if (error) return
        accepted += chunk.length
        next()
      })
    }
    ws.once('open', () => {
      ws.send(fixedHeader(0x10, announced))
      next()
    })
  })
}
