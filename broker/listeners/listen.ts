import type { Server } from 'node:net'
import { AddressInUse } from '../../core/errors.js'

/** Starts listening; a busy or forbidden port becomes one clear error instead of an 'error' event. */
export function listen(server: Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new AddressInUse(what, host, port, error.code) : error)
    }
    const onListening = () => {
      server.off('error', onError)
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}
