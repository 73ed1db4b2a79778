import net from 'node:net'

export interface TcpProxy {
  /** `127.0.0.1:<port>` of the proxy. */
  port: number
  /** Where new connections go. */
  target: { host: string; port: number }
  /** Resets every open connection and refuses new ones until `resume()`: a network cut. */
  cut(): void
  resume(): void
  /** Connections accepted so far. */
  accepted(): number
  close(): Promise<void>
}

/** A TCP forwarder on a free loopback port, for cutting one client's network without touching the server. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>()
  let refusing = false
  let accepted = 0
  const state = { target }
  const server = net.createServer((inbound) => {
    if (refusing) return void inbound.resetAndDestroy()
    accepted += 1
    const outbound = net.connect(state.target.port, state.target.host)
    open.add(inbound)
    open.add(outbound)
    const drop = () => {
      inbound.destroy()
      outbound.destroy()
      open.delete(inbound)
      open.delete(outbound)
    }
    // a reset on either side (the point of a cut, or a stopped server) ends the pair
    inbound.on('error', drop).on('close', drop)
    outbound.on('error', drop).on('close', drop)
    inbound.pipe(outbound)
    outbound.pipe(inbound)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    get target() {
      return state.target
    },
    set target(next) {
      state.target = next
    },
    cut() {
      refusing = true
      for (const socket of open) socket.resetAndDestroy()
      open.clear()
    },
    resume() {
      refusing = false
    },
    accepted: () => accepted,
    close() {
      for (const socket of open) socket.destroy()
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    }
  }
}
