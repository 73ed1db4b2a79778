import { type ChildProcess, spawn } from 'node:child_process'
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, sleep, stopChild } from '../proc.js'
import type { BenchTarget, Login, RunningTarget } from './target.js'

export const MOSQUITTO_PATH = '/usr/sbin/mosquitto'

/**
 * The reference: Mosquitto on a free loopback port (never 1883, where a system Mosquitto runs),
 * anonymous, no persistence, and no cap on queued QoS 1 messages so that a slow subscriber delays
 * deliveries instead of losing them (mqchat drops none either).
 */
export function mosquittoTarget(path = MOSQUITTO_PATH): BenchTarget {
  return {
    name: 'mosquitto',
    async unavailable() {
      return access(path).then(
        () => null,
        () => `${path} is not installed; the Mosquitto reference is skipped`
      )
    },
    async start(janitor) {
      const dir = await mkdtemp(join(tmpdir(), 'mqchat-bench-mosquitto-'))
      janitor.defer(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }))
      const port = await freePort()
      const conf = join(dir, 'mosquitto.conf')
      await writeFile(
        conf,
        [
          `listener ${port} 127.0.0.1`,
          'allow_anonymous true',
          'persistence false',
          'max_queued_messages 0',
          'max_inflight_messages 20',
          'log_dest stderr',
          'log_type error',
          ''
        ].join('\n')
      )
      const child = spawn(path, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4_000)
      })
      const stop = janitor.defer(`stop mosquitto (pid ${child.pid})`, () => stopChild(child, 'SIGTERM', 5_000))
      await waitForListener(child, port, () => stderr)
      return running(child, port, stop)
    }
  }
}

function running(child: ChildProcess, port: number, stop: () => Promise<void>): RunningTarget {
  const logins = async (count: number, prefix: string): Promise<Login[]> =>
    Array.from({ length: count }, (_, index) => ({ clientId: `${prefix}-${index}` }))
  return {
    name: 'mosquitto',
    mqttUrls: [`mqtt://127.0.0.1:${port}`],
    pids: [child.pid as number],
    redisPids: [],
    persisterPids: [],
    users: logins,
    idleLogins: logins,
    // the same payload size on a plain topic: Mosquitto has no rooms
    room: async () => ({ topic: `bench/room-${Date.now().toString(36)}/messages` }),
    stop
  }
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
