import type { Client, ConnectPacket } from 'aedes'
import { ANONYMOUS_OWNER } from '../../storage/client-owners/client-owners.js'
import type { KeepState } from '../aedes/clean-sessions.js'
import { onClosed } from '../connection-closed.js'
import type { BrokerContext } from '../context.js'
import { noteWill, willAllowed } from '../will-policy.js'

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

/** What `authenticate` needs from the CONNECT packet, noted before Aedes rewrites the client. */
interface ConnectFacts {
  /** A zero-length client id: Aedes replaces it with a random one, which nobody owns. */
  generatedId: boolean
  /** [MQTT-3.1.3-8] a zero-byte ClientId with CleanSession 0 gets CONNACK 0x02. */
  emptyIdWithSession: boolean
  willTopic: string | null
}

const connects = new WeakMap<Client, ConnectFacts>()

/** Notes what `authenticate` must check before Aedes replaces an empty client id with a random one. */
export function preConnect(client: Client, packet: ConnectPacket): void {
  if (packet.will) noteWill(packet.will)
  connects.set(client, {
    generatedId: packet.clientId === '',
    emptyIdWithSession: packet.clientId === '' && !packet.clean,
    willTopic: packet.will?.topic ?? null
  })
}

/**
 * The token is the MQTT password; the username is ignored. Runs before Aedes takes over an
 * existing session with the same client id, so everything that must not touch another user's
 * session is refused here. The connection joins the directory before its rooms are read, so a
 * membership change during the read is not lost; subscriptions are restored after this resolves.
 */
export async function authenticate(ctx: BrokerContext, client: Client, password: Buffer | undefined): Promise<void> {
  const facts = connects.get(client)
  // read once: not kept for the life of the connection
  connects.delete(client)
  if (facts?.emptyIdWithSession) {
    throw new ConnectRefused(ReturnCode.IDENTIFIER_REJECTED, 'a zero-length client id needs clean session')
  }
  // a will is published after its author is gone, with no identity to check it against
  if (facts?.willTopic != null && !willAllowed(ctx.options, facts.willTopic)) {
    throw new ConnectRefused(ReturnCode.NOT_AUTHORIZED, `a will may not be left on ${facts.willTopic}`)
  }
  if (!password || password.length === 0) {
    if (ctx.options.genericTopics && ctx.options.allowAnonymous) {
      await claimClientId(ctx, client, ANONYMOUS_OWNER, facts)
      ctx.identities.set(client, { userId: null })
      return
    }
    throw new ConnectRefused(ReturnCode.NOT_AUTHORIZED, 'a token is required as the password')
  }
  const verifiedAt = Date.now()
  const claims = await ctx.tokens.verify(password.toString('utf8'))
  if (!claims) throw new ConnectRefused(ReturnCode.BAD_USERNAME_OR_PASSWORD, 'invalid, expired or revoked token')
  const { userId } = claims
  await claimClientId(ctx, client, userId, facts)
  if (client.closed) return
  // counted across the cluster: the limit holds however the user's devices are spread over nodes
  if ((await ctx.presence.connected(userId)) > ctx.options.maxConnectionsPerUser) {
    ctx.presence.disconnected(userId)
    throw new ConnectRefused(ReturnCode.NOT_AUTHORIZED, `user ${userId} has too many connections`)
  }
  ctx.identities.set(client, { userId })
  // closed when the token expires or is revoked (logout, password change, ban) anywhere in the cluster
  const token = ctx.liveTokens.watch(client, claims, verifiedAt)
  ctx.directory.attach(userId)
  ctx.metrics.connections.inc()
  // also fires for a connection that closed during the awaits above or below; one listener for all
  // of it (each closure and its context is ~100 bytes of every idle connection)
  onClosed(client.conn, () => {
    if (token) ctx.liveTokens.unwatch(token)
    ctx.metrics.connections.dec()
    ctx.directory.detach(userId)
    ctx.presence.disconnected(userId)
  })
  await ctx.directory.load(userId, () => ctx.accounts.roomPageOf(userId))
  await ctx.replay.connected(client, userId, ctx.cleanSessions.isStateless(client))
}

/**
 * A client id belongs to the user who first presented it (issue 6 item 3): another user presenting
 * it is refused with CONNACK 2 before Aedes closes the owner's connection or touches the session.
 */
async function claimClientId(ctx: BrokerContext, client: Client, owner: string, facts: ConnectFacts | undefined): Promise<void> {
  const keepsState = !client.clean || facts?.willTopic != null
  // a generated id is new and random: nothing can be stored under it yet
  if (facts?.generatedId) {
    if (!keepsState) ctx.cleanSessions.markStateless(client, nothingToKeep)
    return
  }
  const { holder, stateKept } = await ctx.clientOwners.claim(client.id, owner, keepsState)
  if (holder !== owner) throw new ConnectRefused(ReturnCode.IDENTIFIER_REJECTED, `client id ${client.id} belongs to another user`)
  if (!stateKept) ctx.cleanSessions.markStateless(client, keepStateOf(ctx))
}

const nothingToKeep: KeepState = async () => undefined
const keepStates = new WeakMap<BrokerContext, KeepState>()

/**
 * Records that a connection's client id now keeps state, for its owner: the connection's identity,
 * set before Aedes handles any of its packets. One function per broker, not a closure per connection.
 */
function keepStateOf(ctx: BrokerContext): KeepState {
  let keepState = keepStates.get(ctx)
  if (!keepState) {
    keepState = (client) => {
      const owner = ctx.identities.get(client as Client)?.userId ?? ANONYMOUS_OWNER
      return ctx.clientOwners.claim(client.id, owner, true)
    }
    keepStates.set(ctx, keepState)
  }
  return keepState
}
