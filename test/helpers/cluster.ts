import { randomUUID } from 'node:crypto'
import { parseConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { type ClusterRole, startClusterNode } from '../../server/cluster.js'
import type { RunningNode } from '../../server/start-node.js'
import { startTestMongo, type TestMongo } from './mongo-server.js'
import { startTestRedisCluster, type TestRedisCluster } from './redis-cluster.js'
import { startTestRedis, type TestRedis } from './redis-server.js'

export interface TestCluster<R extends TestRedis | TestRedisCluster = TestRedis> {
  /** The private Redis the nodes share: a redis-server, or a Redis Cluster with `{ redisCluster: true }`. */
  redis: R
  mongo: TestMongo
  database: string
  /** Starts one more broker or bridge process-equivalent (in this process, own connections and ports). */
  start(role: ClusterRole, env?: Record<string, string>): Promise<RunningNode & { mqttUrl: string; wsUrl: string; httpUrl: string }>
  stop(): Promise<void>
}

export interface TestClusterOptions {
  /** Nodes on a private Redis Cluster (3 masters + 3 replicas) with MQCHAT_REDIS_CLUSTER=true. */
  redisCluster?: boolean
}

/** A private Redis and MongoDB (FerretDB unless MONGODB_URL reaches a server) with a unique key prefix and database. */
export async function startTestCluster(baseEnv?: Record<string, string>): Promise<TestCluster>
export async function startTestCluster(
  baseEnv: Record<string, string>,
  options: TestClusterOptions & { redisCluster: true }
): Promise<TestCluster<TestRedisCluster>>
export async function startTestCluster(
  baseEnv: Record<string, string>,
  options: TestClusterOptions
): Promise<TestCluster<TestRedis | TestRedisCluster>>
export async function startTestCluster(
  baseEnv: Record<string, string> = {},
  options: TestClusterOptions = {}
): Promise<TestCluster<TestRedis | TestRedisCluster>> {
  const redis = options.redisCluster ? await startTestRedisCluster() : await startTestRedis()
  const mongo = await startTestMongo().catch(async (error: unknown) => {
    await redis.stop()
    throw error
  })
  const database = `mqchat_${randomUUID().replaceAll('-', '').slice(0, 16)}`
  const nodes: RunningNode[] = []
  return {
    redis,
    mongo,
    database,
    async start(role, env = {}) {
      const config = parseConfig({
        MQCHAT_HOST: '127.0.0.1',
        MQCHAT_MQTT_PORT: '0',
        MQCHAT_HTTP_PORT: '0',
        MQCHAT_LOG_LEVEL: 'silent',
        MQCHAT_JWT_SECRET: 'cluster-test-secret-cluster-test-secret',
        REDIS_URL: redis.url,
        ...(options.redisCluster ? { MQCHAT_REDIS_CLUSTER: 'true' } : {}),
        MONGODB_URL: mongo.url,
        MQCHAT_MONGODB_DATABASE: database,
        MQCHAT_NODE_ID: `${role}-${nodes.length + 1}`,
        ...baseEnv,
        ...env
      })
      const node = await startClusterNode(config, createLogger(config.MQCHAT_LOG_LEVEL), role)
      nodes.push(node)
      return {
        ...node,
        mqttUrl: `mqtt://127.0.0.1:${node.mqttPort}`,
        wsUrl: `ws://127.0.0.1:${node.httpPort}/mqtt`,
        httpUrl: `http://127.0.0.1:${node.httpPort}`
      }
    },
    async stop() {
      for (const node of nodes.reverse()) await node.close()
      await mongo.stop()
      await redis.stop()
    }
  }
}
