import type { LiveConnection } from './connection-registry.js'
import { byConnectedAt, type ConnectionRegistry, type RegisteredConnection } from './connection-registry.js'

/** One process (embedded mode): the node's own connections are all there are. */
export class LocalConnectionRegistry implements ConnectionRegistry {
  /** A user's connections: an array, a user has few (a Set costs 152 bytes even for one). */
  private readonly byUser = new Map<string, LiveConnection[]>()

  constructor(private readonly node: string) {}

  opened(connection: LiveConnection): void {
    const connections = this.byUser.get(connection.userId)
    if (connections) connections.push(connection)
    else this.byUser.set(connection.userId, [connection])
  }

  closed(connection: LiveConnection): void {
    const connections = this.byUser.get(connection.userId)
    if (!connections) return
    const at = connections.indexOf(connection)
    if (at >= 0) connections.splice(at, 1)
    if (connections.length === 0) this.byUser.delete(connection.userId)
  }

  async of(userId: string): Promise<RegisteredConnection[]> {
    return (this.byUser.get(userId) ?? []).map((connection) => ({ ...connection, node: this.node })).sort(byConnectedAt)
  }

  async close(): Promise<void> {
    this.byUser.clear()
  }
}
