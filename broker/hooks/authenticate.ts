import { finished } from 'node:stream'
import type { Client, ConnectPacket } from 'aedes'
import type { BrokerContext } from '../context.js'

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3 that authentication answers with. */
export const ReturnCode = { IDENTIFIER_REJECTED: 2, BAD_USERNAME_OR_PASSWORD: 4, NOT_AUTHORIZED: 5 } as const

export class ConnectRefused extends Error {
  constructor(
    readonly returnCode: 2 | 4 | 5,
    message: string
  ) {
    super(message)
  }
}

const emptyIdWithSession = new WeakSet<Client>()

/** Notes what `authenticate` must refuse before Aedes replaces an empty client id with a random one. */
export function preConnect(client: Client, packet: ConnectPacket): void {
  // [MQTT-3.1.3-8] a zero-byte ClientId with CleanSession 0 gets CONNACK 0x02 and the connection closes
  if (packet.clientId === '' && !packet.clean) emptyIdWithSession.add(client)
}

/**
 * The token is the MQTT password; the username is ignored. Loads the user's rooms
 * into the directory before any subscription is restored or queued message sent.
 */
export async function authenticate(ctx: BrokerContext, client: Client, password: Buffer | undefined): Promise<void> {
  if (emptyIdWithSession.has(client)) {
    throw new ConnectRefused(ReturnCode.IDENTIFIER_REJECTED, 'a zero-length client id needs clean session')
  }
  if (!password || password.length === 0) {
    if (ctx.options.genericTopics && ctx.options.allowAnonymous) {
      ctx.identities.set(client, { userId: null })
      return
    }
    throw new ConnectRefused(ReturnCode.NOT_AUTHORIZED, 'a token is required as the password')
  }
  const userId = await ctx.tokens.verify(password.toString('utf8'))
  if (!userId) throw new ConnectRefused(ReturnCode.BAD_USERNAME_OR_PASSWORD, 'invalid or expired token')
  const rooms = await ctx.accounts.roomsOf(userId)
  if (client.closed) return
  // counted across the cluster: the limit holds however the user's devices are spread over nodes
  if ((await ctx.presence.connected(userId)) > ctx.options.maxConnectionsPerUser) {
    ctx.presence.disconnected(userId)
    throw new ConnectRefused(ReturnCode.NOT_AUTHORIZED, `user ${userId} has too many connections`)
  }
  ctx.identities.set(client, { userId })
  ctx.directory.attach(userId, rooms)
  ctx.metrics.connections.inc()
  // `finished` also fires for a connection that closed during the awaits above
  const cleanup = finished(client.conn, () => {
    cleanup()
    ctx.metrics.connections.dec()
    ctx.directory.detach(userId)
    ctx.presence.disconnected(userId)
  })
  await ctx.replay.connected(client, userId)
}
