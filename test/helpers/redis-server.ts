import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { exitOrKill } from './process-exit.js'
import { makeTempDir } from './temp-dir.js'

export interface TestRedis {
  /** Unix socket path: no TCP port to collide with anything. */
  socket: string
  url: string
  client(): Redis
  /** kill -9 the server (its AOF stays on disk). */
  kill(): Promise<void>
  /** SIGTERM: a graceful shutdown (Redis writes and fsyncs its AOF on the way out); waits for the exit. */
  terminate(timeoutMs?: number): Promise<void>
  /** True while the server process is alive. */
  running(): boolean
  /** Starts it again on the same socket and data. */
  restart(): Promise<void>
  stop(): Promise<void>
}

/** A private redis-server with AOF on, in its own temp directory, listening on a unix socket only. */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = await makeTempDir('mqchat-redis-')
  const socket = join(dir.path, 'redis.sock')
  let server: ChildProcess | null = null
  const clients: Redis[] = []

  async function start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir.path, '--appendonly', 'yes', '--save', ''],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    server = child
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const deadline = Date.now() + 10_000
    while (!/ready to accept connections/i.test(output)) {
      if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`)
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`redis-server did not start: ${output}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  async function kill(): Promise<void> {
    if (!server || server.exitCode !== null) return
    const exited = once(server, 'exit')
    server.kill('SIGKILL')
    await exited
  }

  async function terminate(timeoutMs = 10_000): Promise<void> {
    if (!server || server.exitCode !== null) return
    const exited = once(server, 'exit')
    server.kill('SIGTERM')
    if ((await exitOrKill(server, exited, timeoutMs)) === 'timeout') {
      throw new Error(`redis-server did not exit within ${timeoutMs} ms of SIGTERM; killed`)
    }
  }

  await start()
  return {
    socket,
    url: `redis+unix://${socket}`,
    client() {
      const client = new Redis({ path: socket, maxRetriesPerRequest: 3 })
      clients.push(client)
      return client
    },
    kill,
    terminate,
    running: () => server !== null && server.exitCode === null && server.signalCode === null,
    restart: start,
    async stop() {
      for (const client of clients) client.disconnect()
      await kill()
      await dir.remove()
    }
  }
}
