import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import type { Janitor } from './janitor.js'
import { freePort, sleep, stopChild } from './proc.js'

export const MOSQUITTO_PATH = '/usr/sbin/mosquitto'

export interface MosquittoServer {
  pid: number
  port: number
  stop(): Promise<void>
}

/**
 * A private Mosquitto on a free loopback port (never 1883, where a system Mosquitto runs), configured
 * by `settings` (mosquitto.conf lines besides the listener), with its config in `dir`. Its stop is
 * registered with `janitor`.
 */
export async function startMosquitto(dir: string, janitor: Janitor, settings: string[], path = MOSQUITTO_PATH): Promise<MosquittoServer> {
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  await writeFile(conf, [`listener ${port} 127.0.0.1`, ...settings, 'log_dest stderr', 'log_type error', ''].join('\n'))
  const child = spawn(path, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000)
  })
  const stop = janitor.defer(`stop mosquitto (pid ${child.pid})`, () => stopChild(child, 'SIGTERM', 5_000))
  await waitForListener(child, port, () => stderr)
  return { pid: child.pid as number, port, stop }
}

/** Mosquitto prints nothing on start at log_type error: poll the port until it accepts. */
async function waitForListener(child: ChildProcess, port: number, stderr: () => string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mosquitto exited (code ${child.exitCode}) before listening: ${stderr().trim()}`)
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await sleep(50)
  }
  throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${stderr().trim()}`)
}
