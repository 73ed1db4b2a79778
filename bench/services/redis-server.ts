import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Janitor } from './janitor.js'
import { exited, findExecutable, stopChild } from './proc.js'

const START_TIMEOUT_MS = 10_000

/** redis-server's path, or null when it is not installed. */
export const redisServerPath = () => findExecutable('redis-server')

export interface RedisServer {
  pid: number
  /** Unix socket path: no TCP port to collide with anything. */
  socket: string
  /** For REDIS_URL. */
  url: string
  /** kill -9 (the AOF stays on disk). */
  kill(): Promise<void>
  /** SIGTERM, SIGKILL after `timeoutMs`: a graceful shutdown writes and fsyncs the AOF. Rejects when it had to kill. */
  terminate(timeoutMs?: number): Promise<void>
  /** True while the process is alive. */
  running(): boolean
  /** Starts it again on the same socket and data. */
  restart(): Promise<void>
  /** Stops it for good (registered with the janitor). */
  stop(): Promise<void>
}

/**
 * A private redis-server in `dir` for tests and `mqchat bench`: a unix socket and no TCP port, AOF on
 * (fsync every second, as in compose.yaml) and no RDB snapshots. Its stop is registered with `janitor`.
 */
export async function startRedisServer(dir: string, janitor: Janitor, path = redisServerPath()): Promise<RedisServer> {
  if (!path) throw new Error('redis-server is not installed')
  const binary = path
  await mkdir(dir, { recursive: true })
  const socket = join(dir, 'redis.sock')
  const args = ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--appendonly', 'yes', '--save', '']
  let child = await spawnRedis(binary, args)
  const stop = janitor.defer(`stop redis-server in ${dir}`, () => stopChild(child, 'SIGTERM', 5_000))
  return {
    get pid() {
      return child.pid as number
    },
    socket,
    url: `redis+unix://${socket}`,
    kill: () => stopChild(child, 'SIGKILL'),
    async terminate(timeoutMs = 10_000) {
      let killed = false
      const timer = setTimeout(() => (killed = true), timeoutMs)
      await stopChild(child, 'SIGTERM', timeoutMs)
      clearTimeout(timer)
      if (killed) throw new Error(`redis-server did not exit within ${timeoutMs} ms of SIGTERM; killed`)
    },
    running: () => child.exitCode === null && child.signalCode === null,
    async restart() {
      await exited(child)
      child = await spawnRedis(binary, args)
    },
    stop
  }
}

/** Starts redis-server with `args`; resolves once it accepts connections. */
export async function spawnRedis(path: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-4_000)
  }
  child.stderr?.setEncoding('utf8').on('data', keep)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server did not start in ${START_TIMEOUT_MS} ms: ${output.trim()}`))
    }, START_TIMEOUT_MS)
    const early = (code: number | null, signal: string | null) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited (code ${code}, signal ${signal}) before it was ready: ${output.trim()}`))
    }
    child.once('exit', early)
    // stdout is drained for the whole run (AOF rewrites log there), so that redis-server never blocks on it
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      keep(chunk)
      if (!/ready to accept connections/i.test(output)) return
      clearTimeout(timer)
      child.off('exit', early)
      resolve()
    })
  })
  return child
}
