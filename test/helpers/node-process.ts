import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { exitOrKill } from './process-exit.js'

/** The repository root, where `bin/mqchat.js` lives. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** How a spawned node ended. */
export interface NodeExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A real `mqchat <command>` server process (`dev`, `broker`, `bridge`) that logged its listening line. */
export interface MqchatProcess {
  child: ChildProcess
  pid: number
  /** From the listening line; null for a process without that listener (a bridge has no MQTT TCP port). */
  mqttPort: number | null
  httpPort: number | null
  /** The JSON log lines the process printed on stdout so far, parsed. */
  logs: Record<string, unknown>[]
  /** Everything the process wrote to stderr so far (the last 20,000 characters). */
  stderr(): string
  /** Resolves once the process has exited. */
  exited: Promise<NodeExit>
  /**
   * Sends `signal` and waits for the exit. If the process is still alive after `timeoutMs`,
   * it is killed with SIGKILL and the promise rejects: a stop that hangs is a failure.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<NodeExit>
}

/** A real `mqchat dev` process on free loopback ports. */
export interface NodeProcess extends MqchatProcess {
  dataDir: string
  mqttPort: number
  httpPort: number
  mqttUrl: string
  httpUrl: string
}

/** What a process that ran to its end printed. */
export interface FinishedProcess extends NodeExit {
  stdout: string
  stderr: string
}

export interface SpawnOptions {
  /** The `msg` of the log line that says the process is up; default `mqchat <command> listening`. */
  listening?: string
  timeoutMs?: number
  /** The entry point to run instead of `bin/mqchat.js`, relative to the repository root (e.g. a compiled build). */
  script?: string
}

const running = new Set<ChildProcess>()
const MAX_LOG_LINES = 2000

/**
 * The environment of a child: ours without mqchat settings (so the test decides every one),
 * loopback listeners on ports 0 and info logs, then `env`.
 */
function childEnv(env: Record<string, string>, drop: (key: string) => boolean): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !drop(key)))
  return { ...inherited, MQCHAT_HOST: '127.0.0.1', MQCHAT_MQTT_PORT: '0', MQCHAT_HTTP_PORT: '0', MQCHAT_LOG_LEVEL: 'info', ...env }
}

const notMqchat = (key: string) => key.startsWith('MQCHAT_') || key === 'NODE_OPTIONS'
/** Cluster commands also read REDIS_URL and MONGODB_URL, which the test must name itself. */
const notCluster = (key: string) => notMqchat(key) || key === 'REDIS_URL' || key === 'MONGODB_URL'

function spawnChild(command: string, env: NodeJS.ProcessEnv, script = 'bin/mqchat.js'): { child: ChildProcess; exited: Promise<NodeExit> } {
  const child = spawn(process.execPath, [script, command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  const exited = new Promise<NodeExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  })
  return { child, exited }
}

/**
 * Spawns `node bin/mqchat.js <command>` and waits for its listening log line. Rejects (and kills
 * the child) when the process exits first or does not come up within `timeoutMs`.
 */
function startServer(command: string, env: NodeJS.ProcessEnv, options: SpawnOptions = {}): Promise<MqchatProcess> {
  const listening = options.listening ?? `mqchat ${command} listening`
  const timeoutMs = options.timeoutMs ?? 20_000
  const { child, exited } = spawnChild(command, env, options.script)
  const logs: Record<string, unknown>[] = []
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000)
  })

  return new Promise<MqchatProcess>((resolve, reject) => {
    let settled = false
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    const timer = setTimeout(() => fail(new Error(`mqchat ${command} did not start in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
    child.once('error', fail)
    void exited.then(({ code, signal }) =>
      fail(new Error(`mqchat ${command} exited (code ${code}, signal ${signal}) before listening; stderr: ${stderr}`))
    )

    // keep reading stdout for the whole life of the process, so that its log writes never block
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        entry = { msg: line }
      }
      if (logs.length < MAX_LOG_LINES) logs.push(entry)
      if (settled || entry.msg !== listening) return
      settled = true
      clearTimeout(timer)
      const port = (value: unknown) => (typeof value === 'number' ? value : null)
      resolve({
        child,
        pid: child.pid as number,
        mqttPort: port(entry.mqttPort),
        httpPort: port(entry.httpPort),
        logs,
        stderr: () => stderr,
        exited,
        stop: (signal = 'SIGTERM', stopTimeoutMs = 10_000) => stopProcess(command, child, exited, signal, stopTimeoutMs)
      })
    })
  })
}

/**
 * Spawns `node bin/mqchat.js <command>` (`broker`, `bridge`, `dev`) with `env` on top of loopback
 * listeners on ports 0, and resolves once it logged its listening line. No MQCHAT_*, REDIS_URL or
 * MONGODB_URL is inherited from the test process.
 */
export function spawnMqchat(command: string, env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<MqchatProcess> {
  return startServer(command, childEnv(env, notCluster), options)
}

/** Runs `node bin/mqchat.js <command>` with `env` (as `spawnMqchat`) until it exits by itself; kills it past `timeoutMs`. */
export async function runMqchat(command: string, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<FinishedProcess> {
  const { child, exited } = spawnChild(command, childEnv(env, notCluster))
  // 'close' comes after 'exit' once the pipes are drained: the last output is in by then
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const result = await exitOrKill(child, exited, timeoutMs)
  if (result === 'timeout') throw new Error(`mqchat ${command} did not exit within ${timeoutMs} ms; stderr: ${stderr}`)
  await closed
  return { ...result, stdout, stderr }
}

/**
 * Spawns `node bin/mqchat.js dev` on `dataDir` with ports 0 and waits for its
 * 'mqchat dev node listening' log line. Rejects (and kills the child) when the process
 * exits first or does not come up within `timeoutMs`.
 */
export async function spawnNode(
  dataDir: string,
  env: Record<string, string> = {},
  timeoutMs = 20_000,
  script?: string
): Promise<NodeProcess> {
  const node = await startServer('dev', childEnv({ MQCHAT_DATA_DIR: dataDir, ...env }, notMqchat), {
    listening: 'mqchat dev node listening',
    timeoutMs,
    script
  })
  const mqttPort = Number(node.mqttPort)
  const httpPort = Number(node.httpPort)
  return Object.assign(node, {
    dataDir,
    mqttPort,
    httpPort,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`
  })
}

async function stopProcess(
  command: string,
  child: ChildProcess,
  exited: Promise<NodeExit>,
  signal: NodeJS.Signals,
  timeoutMs: number
): Promise<NodeExit> {
  if (child.exitCode !== null || child.signalCode !== null) return exited
  child.kill(signal)
  const result = await exitOrKill(child, exited, timeoutMs)
  if (result !== 'timeout') return result
  throw new Error(`mqchat ${command} (pid ${child.pid}) did not exit within ${timeoutMs} ms of ${signal}; killed`)
}

/** SIGKILLs every process this module spawned that is still running; for afterAll/afterEach. */
export async function killAllNodes(): Promise<void> {
  const children = [...running]
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGKILL')
        })
    )
  )
}
