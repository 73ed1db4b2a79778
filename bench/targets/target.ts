import type { Janitor } from '../services/janitor.js'

/** What one generated client sends in CONNECT. */
export interface Login {
  clientId: string
  username?: string
  password?: string
  /** The user this login belongs to, where the target has users. */
  userId?: string
}

/** A broker under test, started and ready for clients. */
export interface RunningTarget {
  readonly name: string
  /**
   * Where clients connect. Generators spread clients over these round-robin, so a cluster target
   * lists one URL per node (or its load balancer once).
   */
  readonly mqttUrls: readonly string[]
  /** The broker processes whose CPU and memory are measured and summed (a cluster: every broker node). */
  readonly pids: readonly number[]
  /** The Redis a cluster runs on: part of its cost, so measured too, in rows of its own. Empty elsewhere. */
  readonly redisPids: readonly number[]
  /**
   * The target's other processes: a cluster's bridge (persister, REST) and the database it writes to,
   * when the bench started it. Measured in a row of their own, so that they do not count as other load.
   */
  readonly persisterPids: readonly number[]
  /** The REST API's base URL, where the target has one. */
  readonly httpUrl?: string
  /** The MongoDB database the target keeps history, users and rooms in, where it has one (the cluster). */
  readonly mongodb?: { url: string; name: string }
  /**
   * The Redis a cluster keeps its chat log in: a seed node's URL when `cluster` (a Redis Cluster), its key
   * prefix (MQCHAT_REDIS_PREFIX) and log partitions (MQCHAT_LOG_PARTITIONS), which name a room's keys.
   */
  readonly redis?: { url: string; cluster: boolean; prefix: string; partitions: number }
  /** Redis `used_memory` summed over every master (the one Redis, or each master of a Redis Cluster); absent without Redis. */
  redisMemoryBytes?(): Promise<number>
  /** `count` logins of distinct users that can be made members of a room (registered where the target has accounts). */
  users(count: number, prefix: string): Promise<Login[]>
  /** `count` logins of distinct users for idle connections: cheap to make, never members of a room. */
  idleLogins(count: number, prefix: string): Promise<Login[]>
  /** A room whose members are exactly `members` (made by `users`); returns the topic its chat messages use. */
  room(members: readonly Login[]): Promise<{ topic: string }>
  /** Stops the broker and removes what it wrote; safe to call twice. */
  stop(): Promise<void>
}

/** A kind of broker the bench can start. */
export interface BenchTarget {
  readonly name: string
  /** Why the target cannot run on this machine, or null when it can. */
  unavailable(): Promise<string | null>
  /** Starts a fresh broker; registers its clean-up with `janitor` before anything can fail. */
  start(janitor: Janitor): Promise<RunningTarget>
}
