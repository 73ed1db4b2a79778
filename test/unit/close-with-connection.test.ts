import { readFileSync } from 'node:fs'
import { Duplex } from 'node:stream'
import { Aedes, type Client } from 'aedes'
import { afterEach, describe, expect, it } from 'vitest'
import { closeWithConnection } from '../../broker/aedes/close-with-connection.js'

const clientSource = readFileSync(new URL('../../node_modules/aedes/lib/client.js', import.meta.url), 'utf8')

/** A connection that never talks: enough for Aedes to build its Client. */
const silentConnection = () => new Duplex({ read() {}, write: (_chunk, _encoding, callback) => callback() })

describe('closeWithConnection (Aedes 1.2 Client internals)', () => {
  const brokers: Aedes[] = []
  afterEach(async () => {
    for (const aedes of brokers.splice(0)) await new Promise<void>((resolve) => aedes.close(() => resolve()))
  })
  const handle = () => {
    const aedes = new Aedes()
    brokers.push(aedes)
    const conn = silentConnection()
    return { conn, client: aedes.handle(conn) as Client & { closed: boolean } }
  }
  const closed = (conn: Duplex) => new Promise((resolve) => conn.once('close', resolve))

  it('is what Aedes follows its connection with, and what close() releases', () => {
    expect(clientSource).toContain('this._eos = finished(this.conn, this.close.bind(this))')
    expect(clientSource).toContain("conn.on('end', this.close.bind(this))")
    expect(clientSource).toContain('this._eos()\n    this._eos = noop')
  })

  it("leaves one shared 'close' listener in place of finished's, and the client closes with its connection", async () => {
    const { conn, client } = handle()
    const [end, finish, close] = ['end', 'finish', 'close'].map((event) => conn.listenerCount(event)) as [number, number, number]
    closeWithConnection(client)
    expect(conn.listenerCount('finish')).toBe(finish - 1)
    expect(conn.listenerCount('end')).toBe(end - 1)
    expect(conn.listenerCount('close')).toBe(close)
    const done = closed(conn)
    conn.destroy()
    await done
    expect(client.closed).toBe(true)
  })

  it('closes the client when its connection fails', async () => {
    const { conn, client } = handle()
    closeWithConnection(client)
    const done = closed(conn)
    conn.destroy(new Error('reset'))
    await done
    expect(client.closed).toBe(true)
  })
})
