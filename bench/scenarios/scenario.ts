import type { LoadGenerator } from '../load-generator.js'
import type { BenchOptions, ScenarioId } from '../options.js'
import type { RunningTarget } from '../targets/target.js'
import type { MetricTarget } from './metric-target.js'

export {
  atLeast,
  atLeastTimesReference,
  atMost,
  atMostTimesReference,
  atMostTimesReferenceByMode,
  type MetricTarget,
  zero
} from './metric-target.js'

export interface MetricSpec {
  key: string
  label: string
  /** Decimal places shown in the table. */
  digits: number
  target?: MetricTarget
}

/** What one scenario measured on one target. */
export interface ScenarioRun {
  metrics: Record<string, number | null>
  notes: string[]
}

export interface ScenarioContext {
  target: RunningTarget
  generator: LoadGenerator
  options: BenchOptions
  /** Progress for the person watching; goes to stderr. */
  log(message: string): void
}

export interface Scenario {
  id: ScenarioId
  title: string
  metrics: MetricSpec[]
  run(context: ScenarioContext): Promise<ScenarioRun>
}
