import type { LiveConnection } from './connection-registry.js'
import { byConnectedAt, type ConnectionRegistry, type RegisteredConnection } from './connection-registry.js'

/** One process (embedded mode): the node's own connections are all there are. */
export class LocalConnectionRegistry implements ConnectionRegistry {
  private readonly byUser = new Map<string, Set<LiveConnection>>()

  constructor(private readonly node: string) {}

  opened(connection: LiveConnection): void {
    let connections = this.byUser.get(connection.userId)
    if (!connections) {
      connections = new Set()
      this.byUser.set(connection.userId, connections)
    }
    connections.add(connection)
  }

  closed(connection: LiveConnection): void {
    const connections = this.byUser.get(connection.userId)
    connections?.delete(connection)
    if (connections?.size === 0) this.byUser.delete(connection.userId)
  }

  async of(userId: string): Promise<RegisteredConnection[]> {
    return [...(this.byUser.get(userId) ?? [])].map((connection) => ({ ...connection, node: this.node })).sort(byConnectedAt)
  }

  async close(): Promise<void> {
    this.byUser.clear()
  }
}
