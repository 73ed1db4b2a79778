import { spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { connect } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Janitor } from './janitor.js'
import { findExecutable, sleep, stopChild } from './proc.js'

const START_TIMEOUT_MS = 20_000

/** FerretDB's path ($FERRETDB_BIN, ~/go/bin or /usr/local/bin, as `.ci/install-ferretdb` puts it), or null. */
export function ferretdbPath(): string | null {
  const candidates = [process.env.FERRETDB_BIN, join(homedir(), 'go/bin/ferretdb'), '/usr/local/bin/ferretdb']
  return findExecutable(...candidates.filter((path): path is string => Boolean(path)))
}

export interface BenchFerretdb {
  pid: number
  /** For MONGODB_URL. */
  url: string
  stop(): Promise<void>
}

/** A private FerretDB (SQLite backend, telemetry off) in `dir`, on a unix socket only. Its stop is registered with `janitor`. */
export async function startFerretdb(path: string, dir: string, janitor: Janitor): Promise<BenchFerretdb> {
  await mkdir(dir, { recursive: true })
  const socket = join(dir, 'ferretdb.sock')
  const child = spawn(
    path,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dir}/`,
      `--state-dir=${dir}`,
      '--listen-addr=',
      `--listen-unix=${socket}`,
      '--debug-addr=127.0.0.1:0',
      '--telemetry=disable',
      '--log-level=error'
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  )
  const stop = janitor.defer(`stop ferretdb (pid ${child.pid})`, () => stopChild(child, 'SIGTERM', 5_000))
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000)
  })
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await accepts(socket))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`ferretdb exited (code ${child.exitCode}) before listening: ${stderr.trim()}`)
    }
    if (Date.now() > deadline) throw new Error(`ferretdb did not listen on ${socket} within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`)
    await sleep(50)
  }
  return { pid: child.pid as number, url: `mongodb://${encodeURIComponent(socket)}/?directConnection=true`, stop }
}

function accepts(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = connect(socket)
    connection.once('connect', () => {
      connection.destroy()
      resolve(true)
    })
    connection.once('error', () => resolve(false))
  })
}
