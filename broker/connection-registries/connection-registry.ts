/** One authenticated MQTT connection of this node, as the registry and the token watcher know it. */
export interface LiveConnection {
  clientId: string
  userId: string
  transport: 'tcp' | 'websocket'
  address: string | null
  connectedAt: number
  tokenExpiresAt: number | null
}

/** One live MQTT connection and the node that serves it. */
export interface RegisteredConnection extends LiveConnection {
  node: string
}

/**
 * Every live authenticated connection of the deployment, by user: what the admin API lists,
 * whichever node it asks. A node adds its connections as they authenticate and removes them as
 * they close; the connections of a node that died without removing them are not listed.
 */
export interface ConnectionRegistry {
  /** Best effort: a failure is counted and logged, never thrown at the connection it describes. */
  opened(connection: LiveConnection): void
  closed(connection: LiveConnection): void
  /** The user's live connections on every node, oldest first. */
  of(userId: string): Promise<RegisteredConnection[]>
  close(): Promise<void>
}

export const byConnectedAt = (a: RegisteredConnection, b: RegisteredConnection): number =>
  a.connectedAt - b.connectedAt || a.node.localeCompare(b.node) || a.clientId.localeCompare(b.clientId)
