import { spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Janitor } from '../janitor.js'
import { findExecutable, stopChild } from '../proc.js'

const START_TIMEOUT_MS = 10_000

/** redis-server's path, or null when it is not installed. */
export const redisServerPath = () => findExecutable('redis-server')

export interface BenchRedis {
  pid: number
  /** For REDIS_URL. */
  url: string
  stop(): Promise<void>
}

/**
 * A private redis-server in `dir`: a unix socket and no TCP port (nothing to collide with), AOF on
 * (fsync every second, as in compose.yaml) and no RDB snapshots. Its stop is registered with `janitor`.
 */
export async function startRedis(path: string, dir: string, janitor: Janitor): Promise<BenchRedis> {
  await mkdir(dir, { recursive: true })
  const socket = join(dir, 'redis.sock')
  const child = spawn(
    path,
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  const stop = janitor.defer(`stop redis-server (pid ${child.pid})`, () => stopChild(child, 'SIGTERM', 5_000))
  let output = ''
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-4_000)
  }
  child.stderr?.setEncoding('utf8').on('data', keep)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start in ${START_TIMEOUT_MS} ms: ${output.trim()}`)),
      START_TIMEOUT_MS
    )
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited (code ${code}, signal ${signal}) before it was ready: ${output.trim()}`))
    })
    // stdout is drained for the whole run (AOF rewrites log there), so that redis-server never blocks on it
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      keep(chunk)
      if (!/ready to accept connections/i.test(output)) return
      clearTimeout(timer)
      resolve()
    })
  })
  return { pid: child.pid as number, url: `redis+unix://${socket}`, stop }
}
