import type { LoadGenerator } from '../load-generator.js'
import type { BenchOptions, ScenarioId } from '../options.js'
import type { RunningTarget } from '../targets/target.js'

/** A SPEC §9 target for one metric, judged on a measured target's value and its ratio to the reference. */
export interface MetricTarget {
  text: string
  /** True or false when it can be judged, null when a number is missing. */
  met(value: number | null, ratio: number | null): boolean | null
}

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

/** Targets of the form "measured ≤ factor × reference". */
export function atMostTimesReference(factor: number, note = ''): MetricTarget {
  return {
    text: `≤ ${factor}× mosquitto${note}`,
    met: (_value, ratio) => (ratio === null ? null : ratio <= factor)
  }
}

/** Targets of the form "measured ≤ limit", whatever the reference does. */
export function atMost(limit: number, unit: string): MetricTarget {
  return {
    text: `≤ ${limit} ${unit}`,
    met: (value) => (value === null ? null : value <= limit)
  }
}
