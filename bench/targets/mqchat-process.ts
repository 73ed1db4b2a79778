import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Janitor } from '../services/janitor.js'
import { stopChild } from '../services/proc.js'

/** The repository root, where `bin/mqchat.js` lives. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const START_TIMEOUT_MS = 30_000

export type MqchatCommand = 'dev' | 'broker' | 'bridge'

/** A `mqchat dev|broker|bridge` child process that logged its listening line. */
export interface MqchatProcess {
  pid: number
  /** From the listening line; null for a listener the process does not run (a bridge has no MQTT port). */
  mqttPort: number | null
  httpPort: number | null
  stop(): Promise<void>
}

/**
 * Starts `mqchat <command>` on loopback, free ports, rate limits off (the bench sends faster than a
 * person), with `env` on top; registers its stop with `janitor` before waiting for it to listen.
 * The caller's mqchat, Redis and MongoDB settings are never inherited: the bench decides every one.
 */
export async function startMqchatProcess(
  command: MqchatCommand,
  env: Record<string, string>,
  janitor: Janitor,
  label = `mqchat ${command}`
): Promise<MqchatProcess> {
  const inherited = Object.entries(process.env).filter(
    ([key]) => !key.startsWith('MQCHAT_') && !['NODE_OPTIONS', 'REDIS_URL', 'MONGODB_URL'].includes(key)
  )
  const child = spawn(process.execPath, ['bin/mqchat.js', command], {
    cwd: ROOT,
    env: {
      ...Object.fromEntries(inherited),
      MQCHAT_HOST: '127.0.0.1',
      MQCHAT_MQTT_PORT: '0',
      MQCHAT_HTTP_PORT: '0',
      MQCHAT_RATE_LIMIT_PER_SECOND: '0',
      // S3 opens 18,000 connections from one loopback address
      MQCHAT_MAX_CONNECTIONS_PER_IP: '0',
      // the bench registers hundreds of users from one address and rooms of 100+ members
      MQCHAT_REGISTER_LIMIT_PER_ADDRESS: '0',
      MQCHAT_RATE_LIMIT_INVITES: '0',
      // H makes one user a member of 500 rooms
      MQCHAT_RATE_LIMIT_ROOMS: '0',
      MQCHAT_LOG_LEVEL: 'info',
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const stop = janitor.defer(`stop ${label} (pid ${child.pid})`, () => stopChild(child, 'SIGTERM', 10_000))
  const ports = await listening(child, `mqchat ${command === 'dev' ? 'dev node' : command} listening`, label)
  return { pid: child.pid as number, ...ports, stop }
}

/** Waits for the listening log line; keeps draining stdout afterwards so logging never blocks. */
function listening(child: ChildProcess, message: string, label: string): Promise<{ mqttPort: number | null; httpPort: number | null }> {
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000)
  })
  const port = (value: unknown) => (typeof value === 'number' && value > 0 ? value : null)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label} did not start in ${START_TIMEOUT_MS} ms: ${stderr.trim()}`)),
      START_TIMEOUT_MS
    )
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${label} exited (code ${code}, signal ${signal}) before listening: ${stderr.trim()}`))
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes(message)) return
      const entry = JSON.parse(line) as { mqttPort?: unknown; httpPort?: unknown }
      clearTimeout(timer)
      resolve({ mqttPort: port(entry.mqttPort), httpPort: port(entry.httpPort) })
    })
  })
}
