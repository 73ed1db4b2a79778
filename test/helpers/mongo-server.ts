import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import { makeTempDir } from './temp-dir.js'

export interface TestMongo {
  url: string
  /** A client on the server; each suite should use its own database name. */
  client(): Promise<MongoClient>
  stop(): Promise<void>
}

function ferretdbBinary(): string {
  const candidates = [process.env.FERRETDB_BIN, join(homedir(), 'go/bin/ferretdb'), '/usr/local/bin/ferretdb'].filter(Boolean) as string[]
  const found = candidates.find((path) => existsSync(path))
  if (!found) throw new Error('FerretDB not found: run .ci/install-ferretdb, or set MONGODB_URL to a reachable MongoDB')
  return found
}

async function reachable(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000 })
  try {
    await client.connect()
    await client.db('admin').command({ ping: 1 })
    return true
  } catch {
    return false
  } finally {
    await client.close()
  }
}

/**
 * MONGODB_URL when it points at a reachable server (a real MongoDB); otherwise a private
 * FerretDB (SQLite backend, telemetry off) on a unix socket in a temp directory.
 */
export async function startTestMongo(): Promise<TestMongo> {
  const clients: MongoClient[] = []
  const connect = async (url: string) => {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 })
    await client.connect()
    clients.push(client)
    return client
  }
  const closeClients = () => Promise.all(clients.map((c) => c.close()))

  const external = process.env.MONGODB_URL
  if (external && (await reachable(external))) {
    return { url: external, client: () => connect(external), stop: async () => void (await closeClients()) }
  }

  const dir = await makeTempDir('mqchat-ferretdb-')
  const socket = join(dir.path, 'ferretdb.sock')
  const server: ChildProcess = spawn(
    ferretdbBinary(),
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dir.path}/`,
      `--state-dir=${dir.path}`,
      '--listen-addr=',
      `--listen-unix=${socket}`,
      '--debug-addr=127.0.0.1:0',
      '--telemetry=disable',
      '--log-level=error'
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  )
  let stderr = ''
  server.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const url = `mongodb://${encodeURIComponent(socket)}/?directConnection=true`
  const deadline = Date.now() + 20_000
  while (!existsSync(socket)) {
    if (server.exitCode !== null) throw new Error(`ferretdb exited: ${stderr}`)
    if (Date.now() > deadline) {
      server.kill('SIGKILL')
      throw new Error(`ferretdb did not start: ${stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    client: () => connect(url),
    async stop() {
      await closeClients()
      if (server.exitCode === null) {
        const exited = once(server, 'exit')
        server.kill('SIGTERM')
        await exited
      }
      await dir.remove()
    }
  }
}
