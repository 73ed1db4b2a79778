import { startLoadGenerator } from './load-generator.js'
import { type BenchOptions, BenchOptionsError, parseBenchOptions, type ScenarioId } from './options.js'
import { type BenchReport, buildReport, formatReport, type RunResults } from './report.js'
import { fanOut } from './scenarios/fan-out.js'
import { historyReads } from './scenarios/history.js'
import { idleConnections } from './scenarios/idle-connections.js'
import { manyRooms } from './scenarios/many-rooms.js'
import { offlineSessions } from './scenarios/offline-sessions.js'
import { pacedLatency } from './scenarios/paced-latency.js'
import { reconnectStorm } from './scenarios/reconnect-storm.js'
import { redisMemory } from './scenarios/redis-memory.js'
import { scaleOut } from './scenarios/scale-out.js'
import type { Scenario, ScenarioRun } from './scenarios/scenario.js'
import { Janitor } from './services/janitor.js'
import { createTarget } from './targets/create-targets.js'
import type { BenchTarget } from './targets/target.js'

const SCENARIOS: Record<ScenarioId, Scenario> = {
  S1: fanOut,
  S1p: pacedLatency,
  'S1-offline': offlineSessions,
  S2: manyRooms,
  S3: idleConnections,
  storm: reconnectStorm,
  S4: scaleOut,
  S4m: redisMemory,
  H: historyReads
}

/**
 * Runs every chosen scenario on every available target, interleaved (S1 on mqchat, S1 on Mosquitto,
 * S1p on mqchat, ...), each on a freshly started broker with fresh generator processes. A target that
 * cannot run here (Mosquitto, Redis or FerretDB not installed) is skipped with a note.
 */
export async function runBench(
  options: BenchOptions,
  janitor: Janitor,
  log: (line: string) => void,
  signal?: AbortSignal
): Promise<BenchReport> {
  const started = Date.now()
  const scenarios = options.scenarios.map((id) => SCENARIOS[id])
  const targets: BenchTarget[] = []
  const skipped: BenchReport['skipped'] = []
  for (const name of options.targets) {
    const target = createTarget(name, options)
    const reason = await target.unavailable()
    if (reason === null) targets.push(target)
    else skipped.push({ target: name, reason })
  }
  // one line, as for a bad option: the user picks other targets or installs what is missing
  if (targets.length === 0)
    throw new BenchOptionsError(`no target can run here: ${skipped.map(({ target, reason }) => `${target}: ${reason}`).join('; ')}`)

  const results: RunResults = new Map()
  let failed = false
  for (const scenario of scenarios) {
    const runs = new Map<string, ScenarioRun>()
    results.set(scenario.id, runs)
    for (const target of targets) {
      signal?.throwIfAborted()
      log(`${scenario.id} ${scenario.title} on ${target.name}`)
      // everything this run starts is undone before the next, also when it fails
      const scope = new Janitor()
      const undo = janitor.defer(`${scenario.id} on ${target.name}`, async () => {
        for (const failure of await scope.cleanUp()) log(`clean-up failed: ${failure}`)
      })
      try {
        const running = await target.start(scope)
        const generator = await startLoadGenerator(options.workers, scope)
        runs.set(target.name, await scenario.run({ target: running, generator, options, log }))
      } catch (error) {
        signal?.throwIfAborted()
        failed = true
        const message = error instanceof Error ? error.message : String(error)
        log(`${scenario.id} on ${target.name} failed: ${message}`)
        runs.set(target.name, { metrics: {}, notes: [`failed: ${message}`] })
      } finally {
        await undo()
      }
    }
  }
  return buildReport(
    options,
    scenarios,
    targets.map((target) => target.name),
    results,
    { skipped, failed, seconds: (Date.now() - started) / 1000 }
  )
}

/** `mqchat bench`: parses the options, runs, prints the table (or JSON), and cleans up on every way out. */
export async function benchCommand(raw: Record<string, unknown>): Promise<void> {
  const options = parseBenchOptions(raw)
  const janitor = new Janitor()
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`)
  const aborted = new AbortController()
  const interrupt = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping brokers and generators`)
    aborted.abort(new Error(`interrupted by ${signal}`))
    void janitor.cleanUp().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupt)
  process.once('SIGTERM', interrupt)
  let report: BenchReport
  try {
    report = await runBench(options, janitor, log, aborted.signal)
  } catch (error) {
    // after an interrupt the handler cleans up and exits: wait for it rather than report a half run
    if (aborted.signal.aborted) await new Promise<never>(() => undefined)
    throw error
  } finally {
    const failures = await janitor.cleanUp()
    for (const failure of failures) log(`clean-up failed: ${failure}`)
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
  }
  const scenarios = options.scenarios.map((id) => SCENARIOS[id])
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, scenarios))
  if (report.failed) process.exitCode = 1
}
