import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root, where `bin/mqchat.js` lives. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** How a spawned node ended. */
export interface NodeExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A real `mqchat dev` process on free loopback ports. */
export interface NodeProcess {
  child: ChildProcess
  pid: number
  dataDir: string
  mqttPort: number
  httpPort: number
  mqttUrl: string
  httpUrl: string
  /** The JSON log lines the process printed on stdout so far, parsed. */
  logs: Record<string, unknown>[]
  /** Everything the process wrote to stderr so far. */
  stderr(): string
  /** Resolves once the process has exited. */
  exited: Promise<NodeExit>
  /**
   * Sends `signal` and waits for the exit. If the process is still alive after `timeoutMs`,
   * it is killed with SIGKILL and the promise rejects: a stop that hangs is a failure.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<NodeExit>
}

const running = new Set<ChildProcess>()
const MAX_LOG_LINES = 2000

/**
 * Spawns `node bin/mqchat.js dev` on `dataDir` with ports 0 and waits for its
 * 'mqchat dev node listening' log line. Rejects (and kills the child) when the process
 * exits first or does not come up within `timeoutMs`.
 */
export function spawnNode(dataDir: string, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<NodeProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MQCHAT_') && key !== 'NODE_OPTIONS'))
  const child = spawn(process.execPath, ['bin/mqchat.js', 'dev'], {
    cwd: ROOT,
    env: {
      ...inherited,
      MQCHAT_HOST: '127.0.0.1',
      MQCHAT_MQTT_PORT: '0',
      MQCHAT_HTTP_PORT: '0',
      MQCHAT_DATA_DIR: dataDir,
      MQCHAT_LOG_LEVEL: 'info',
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  running.add(child)
  const exited = new Promise<NodeExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  })
  const logs: Record<string, unknown>[] = []
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000)
  })

  return new Promise<NodeProcess>((resolve, reject) => {
    let settled = false
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    const timer = setTimeout(() => fail(new Error(`mqchat dev did not start in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
    child.once('error', fail)
    void exited.then(({ code, signal }) =>
      fail(new Error(`mqchat dev exited (code ${code}, signal ${signal}) before listening; stderr: ${stderr}`))
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
      if (settled || entry.msg !== 'mqchat dev node listening') return
      settled = true
      clearTimeout(timer)
      const mqttPort = Number(entry.mqttPort)
      const httpPort = Number(entry.httpPort)
      resolve({
        child,
        pid: child.pid as number,
        dataDir,
        mqttPort,
        httpPort,
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        httpUrl: `http://127.0.0.1:${httpPort}`,
        logs,
        stderr: () => stderr,
        exited,
        stop: (signal = 'SIGTERM', stopTimeoutMs = 10_000) => stopProcess(child, exited, signal, stopTimeoutMs)
      })
    })
  })
}

async function stopProcess(child: ChildProcess, exited: Promise<NodeExit>, signal: NodeJS.Signals, timeoutMs: number): Promise<NodeExit> {
  if (child.exitCode !== null || child.signalCode !== null) return exited
  child.kill(signal)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  const result = await Promise.race([exited, timeout])
  clearTimeout(timer)
  if (result !== 'timeout') return result
  child.kill('SIGKILL')
  await exited
  throw new Error(`mqchat dev (pid ${child.pid}) did not exit within ${timeoutMs} ms of ${signal}; killed`)
}

/** SIGKILLs every node this module spawned that is still running; for afterAll/afterEach. */
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
