import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Janitor } from './janitor.js'
import { exited, findExecutable, sleep, stopChild } from './proc.js'
import { redisServerPath, spawnRedis } from './redis-server.js'

const run = promisify(execFile)
const READY_TIMEOUT_MS = 30_000

export interface RedisClusterNode {
  port: number
  pid: number
  /** kill -9 (its AOF and nodes.conf stay on disk). */
  kill(): Promise<void>
  /** Starts it again on the same port and data; it rejoins the cluster (as a replica if it was failed over). */
  restart(): Promise<void>
  running(): boolean
}

export interface RedisCluster {
  nodes: RedisClusterNode[]
  /** A seed node's URL for REDIS_URL with MQCHAT_REDIS_CLUSTER=true. */
  url: string
  /** Seed nodes for ioredis's Cluster client. */
  seeds: { host: string; port: number }[]
  /** Ports of the current masters (CLUSTER NODES on a live node). */
  masters(): Promise<number[]>
  /** Waits until every live node reports cluster_state:ok and every slot has a live master. */
  waitHealthy(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

/**
 * A private Redis Cluster of `masters` masters with `replicasPerMaster` replicas each, joined by
 * `redis-cli --cluster create`, on free loopback ports below 45000 (the bus port is port + 10000).
 * AOF on, fsync every second; a node timeout of 2 s so that a failover takes seconds, not minutes.
 */
export async function startRedisCluster(dir: string, janitor: Janitor, masters = 3, replicasPerMaster = 1): Promise<RedisCluster> {
  const server = redisServerPath()
  const cli = findExecutable('redis-cli')
  if (!server || !cli) throw new Error('redis-server and redis-cli are needed for a Redis Cluster')
  const count = masters * (1 + replicasPerMaster)
  const nodes: RedisClusterNode[] = []
  for (let i = 0; i < count; i++) {
    const nodeDir = join(dir, `node-${i}`)
    await mkdir(nodeDir, { recursive: true })
    nodes.push(await startNode(server, nodeDir, janitor))
  }
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`)
  await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'])
  const cluster: RedisCluster = {
    nodes,
    url: `redis://127.0.0.1:${nodes[0]?.port}`,
    seeds: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    async masters() {
      const text = await clusterCommand(cli, nodes, ['cluster', 'nodes'])
      return text
        .split('\n')
        .map((line) => line.split(' '))
        .filter((fields) => {
          const flags = fields[2]?.split(',') ?? []
          return flags.includes('master') && !flags.includes('fail')
        })
        .map((fields) => Number(fields[1]?.split(':')[1]?.split('@')[0]))
    },
    async waitHealthy(timeoutMs = READY_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const states = await Promise.all(
          nodes.filter((node) => node.running()).map((node) => redisCli(cli, node.port, ['cluster', 'info']).catch(() => ''))
        )
        if (states.every((info) => info.includes('cluster_state:ok'))) return
        if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy after ${timeoutMs} ms`)
        await sleep(100)
      }
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.kill()))
    }
  }
  await cluster.waitHealthy()
  await waitForRoles(cli, nodes, masters)
  return cluster
}

/** Until every node sees `masters` masters and the rest as replicas: `--cluster create` returns before gossip settles. */
async function waitForRoles(cli: string, nodes: RedisClusterNode[], masters: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    const views = await Promise.all(nodes.map((node) => redisCli(cli, node.port, ['cluster', 'nodes']).catch(() => '')))
    const settled = views.every((view) => {
      const flags = view
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ')[2]?.split(',') ?? [])
      return (
        flags.filter((f) => f.includes('master')).length === masters &&
        flags.filter((f) => f.includes('slave')).length === nodes.length - masters
      )
    })
    if (settled) return
    if (Date.now() > deadline) throw new Error(`Redis Cluster roles not settled after ${READY_TIMEOUT_MS} ms`)
    await sleep(100)
  }
}

async function startNode(server: string, dir: string, janitor: Janitor): Promise<RedisClusterNode> {
  for (let attempt = 0; ; attempt++) {
    const port = await freeClusterPort()
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      '2000',
      '--appendonly',
      'yes',
      '--save',
      ''
    ]
    try {
      let child = await spawnRedis(server, args)
      janitor.defer(`stop redis cluster node ${port}`, () => stopChild(child, 'SIGKILL'))
      return {
        port,
        get pid() {
          return child.pid as number
        },
        kill: () => stopChild(child, 'SIGKILL'),
        async restart() {
          await exited(child)
          child = await spawnRedis(server, args)
        },
        running: () => child.exitCode === null && child.signalCode === null
      }
    } catch (error) {
      // another process took the port (or its bus port) between the check and the bind
      if (attempt >= 5) throw error
    }
  }
}

/** A port below 45000 that is free, and whose cluster bus port (+10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 25_000)
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

async function redisCli(cli: string, port: number, args: string[]): Promise<string> {
  return (await run(cli, ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout
}

/** Runs a command on the first live node. */
async function clusterCommand(cli: string, nodes: RedisClusterNode[], args: string[]): Promise<string> {
  for (const node of nodes) if (node.running()) return redisCli(cli, node.port, args)
  throw new Error('no Redis Cluster node is running')
}
