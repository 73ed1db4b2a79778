import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dropDatabase, reachableMongodbUrl } from '../services/external-mongodb.js'
import { ferretdbPath, startFerretdb } from '../services/ferretdb.js'
import type { Janitor } from '../services/janitor.js'
import { findExecutable } from '../services/proc.js'
import { startRedisCluster } from '../services/redis-cluster.js'
import { usedMemoryBytes } from '../services/redis-memory.js'
import { redisServerPath, startRedisServer } from '../services/redis-server.js'
import { mqchatAccounts, newJwtSecret } from './mqchat-accounts.js'
import { startMqchatProcess } from './mqchat-process.js'
import type { BenchTarget } from './target.js'

/** The shape of a cluster target: SPEC §9's S1 is 2 nodes on one Redis; S4 is 3 nodes on a Redis Cluster. */
export interface ClusterShape {
  name: string
  nodes: number
  /** A private Redis Cluster (3 masters + 3 replicas) with MQCHAT_REDIS_CLUSTER=true instead of one redis-server. */
  redisCluster: boolean
  /** More settings for every mqchat process (S4m's windows). */
  env?: Record<string, string>
}

const DEFAULT_SHAPE: ClusterShape = { name: 'cluster', nodes: 2, redisCluster: false }

/** Where history, users and rooms go: a reachable MONGODB_URL, else a private FerretDB. */
type DatabasePlan = { mongodbUrl: string } | { ferretdb: string }
interface ClusterPlan {
  redisServer: string
  database: DatabasePlan
}

/**
 * Cluster mode as in compose.yaml, minus the load balancer: a private redis-server and FerretDB
 * (or MONGODB_URL when it reaches a server), `shape.nodes` `mqchat broker` nodes that clients are spread over (on a Redis Cluster for cluster-rc),
 * and 1 `mqchat bridge` for the REST API and the persister. Broker CPU and RSS are both nodes summed;
 * Redis and the bridge with its database are measured in rows of their own.
 */
export function mqchatClusterTarget(shape: ClusterShape = DEFAULT_SHAPE): BenchTarget {
  let plan: ClusterPlan | string | undefined
  const locate = async (): Promise<ClusterPlan | string> => {
    const redisServer = redisServerPath()
    if (!redisServer) return `redis-server is not installed; the ${shape.name} target is skipped`
    if (shape.redisCluster && !findExecutable('redis-cli')) return `redis-cli is not installed; the ${shape.name} target is skipped`
    const mongodbUrl = await reachableMongodbUrl()
    if (mongodbUrl) return { redisServer, database: { mongodbUrl } }
    const ferretdb = ferretdbPath()
    if (ferretdb) return { redisServer, database: { ferretdb } }
    return 'FerretDB is not installed (.ci/install-ferretdb builds it) and MONGODB_URL reaches no server; the cluster target is skipped'
  }
  return {
    name: shape.name,
    async unavailable() {
      plan ??= await locate()
      return typeof plan === 'string' ? plan : null
    },
    async start(janitor) {
      plan ??= await locate()
      if (typeof plan === 'string') throw new Error(plan)
      const dir = await mkdtemp(join(tmpdir(), 'mqchat-bench-cluster-'))
      janitor.defer(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }))
      const redis = await startRedis(shape, join(dir, 'redis'), janitor, plan.redisServer)
      const database = await startDatabase(plan.database, join(dir, 'ferretdb'), janitor)
      const secret = newJwtSecret()
      const env = {
        REDIS_URL: redis.url,
        ...(shape.redisCluster ? { MQCHAT_REDIS_CLUSTER: 'true' } : {}),
        MONGODB_URL: database.url,
        MQCHAT_MONGODB_DATABASE: database.name,
        MQCHAT_JWT_SECRET: secret,
        ...shape.env
      }
      // the bridge first: it creates the database's collections and indexes, which the brokers then find
      const bridge = await startMqchatProcess('bridge', { ...env, MQCHAT_NODE_ID: 'bench-bridge' }, janitor)
      const brokers = await Promise.all(
        Array.from({ length: shape.nodes }, (_, index) =>
          startMqchatProcess('broker', { ...env, MQCHAT_NODE_ID: `bench-broker-${index + 1}` }, janitor, `mqchat broker ${index + 1}`)
        )
      )
      return {
        name: shape.name,
        mqttUrls: brokers.map((broker) => `mqtt://127.0.0.1:${broker.mqttPort}`),
        pids: brokers.map((broker) => broker.pid),
        redisPids: redis.pids(),
        persisterPids: [bridge.pid, ...database.pids],
        httpUrl: `http://127.0.0.1:${bridge.httpPort}`,
        mongodb: { url: database.url, name: database.name },
        // the default MQCHAT_REDIS_PREFIX and MQCHAT_LOG_PARTITIONS: the bench never sets them
        redis: { url: redis.url, cluster: shape.redisCluster, prefix: 'mqchat:', partitions: 16 },
        redisMemoryBytes: redis.usedMemory,
        ...mqchatAccounts(`http://127.0.0.1:${bridge.httpPort}`, secret),
        async stop() {
          for (const stop of [...brokers.map((broker) => broker.stop), bridge.stop, database.stop, redis.stop]) await stop()
        }
      }
    }
  }
}

/** One private redis-server, or a private Redis Cluster (3 masters + 3 replicas): its URL, processes and memory. */
async function startRedis(shape: ClusterShape, dir: string, janitor: Janitor, path: string) {
  if (!shape.redisCluster) {
    const server = await startRedisServer(dir, janitor, path)
    return {
      url: server.url,
      pids: () => [server.pid],
      usedMemory: () => usedMemoryBytes(['-s', server.socket]),
      stop: server.stop
    }
  }
  const cluster = await startRedisCluster(dir, janitor)
  return {
    url: cluster.url,
    pids: () => cluster.nodes.map((node) => node.pid),
    async usedMemory() {
      const masters = await cluster.masters()
      const used = await Promise.all(masters.map((port) => usedMemoryBytes(['-h', '127.0.0.1', '-p', String(port)])))
      return used.reduce((sum, bytes) => sum + bytes, 0)
    },
    stop: cluster.stop
  }
}

/** The private FerretDB, or a database of our own on MONGODB_URL's server (dropped at clean-up). */
async function startDatabase(
  plan: DatabasePlan,
  dir: string,
  janitor: Janitor
): Promise<{ url: string; name: string; pids: number[]; stop(): Promise<void> }> {
  if ('ferretdb' in plan) {
    const ferretdb = await startFerretdb(plan.ferretdb, dir, janitor)
    return { url: ferretdb.url, name: 'mqchat', pids: [ferretdb.pid], stop: ferretdb.stop }
  }
  const name = `mqchat_bench_${randomBytes(6).toString('hex')}`
  const stop = janitor.defer(`drop database ${name}`, () => dropDatabase(plan.mongodbUrl, name))
  return { url: plan.mongodbUrl, name, pids: [], stop }
}
