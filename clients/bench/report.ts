import { cpus } from 'node:os'
import type { BenchOptions, ScenarioId } from './options.js'
import { clockTicks } from './proc.js'
import type { Scenario, ScenarioRun } from './scenarios/scenario.js'

/** One line of the table: a metric of a scenario on every target, and how mqchat compares. */
export interface BenchRow {
  scenario: ScenarioId
  metric: string
  key: string
  /** By target name; null when not measured (skipped, failed). */
  values: Record<string, number | null>
  /** The measured target (first) over the reference (second). */
  ratio: number | null
  /** The SPEC §9 target, when one applies to this metric. */
  target: string | null
  met: boolean | null
}

export interface BenchReport {
  machine: { cpus: number; clockTicks: number; node: string }
  options: BenchOptions
  /** The measured target first, then the references. */
  targets: string[]
  skipped: { target: string; reason: string }[]
  rows: BenchRow[]
  notes: { scenario: ScenarioId; target: string; note: string }[]
  /** True when any scenario failed on any target (its numbers are null). */
  failed: boolean
  seconds: number
}

/** Scenario id -> target name -> what it measured. */
export type RunResults = Map<ScenarioId, Map<string, ScenarioRun>>

export function buildReport(
  options: BenchOptions,
  scenarios: readonly Scenario[],
  targets: readonly string[],
  results: RunResults,
  extra: { skipped: BenchReport['skipped']; failed: boolean; seconds: number }
): BenchReport {
  const rows: BenchRow[] = []
  const notes: BenchReport['notes'] = []
  const [measured, reference] = targets
  for (const scenario of scenarios) {
    const runs = results.get(scenario.id)
    for (const metric of scenario.metrics) {
      const values = Object.fromEntries(targets.map((name) => [name, runs?.get(name)?.metrics[metric.key] ?? null]))
      const mine = measured === undefined ? null : (values[measured] ?? null)
      const theirs = reference === undefined ? null : (values[reference] ?? null)
      const ratio = mine !== null && theirs !== null && theirs !== 0 ? mine / theirs : null
      rows.push({
        scenario: scenario.id,
        metric: metric.label,
        key: metric.key,
        values,
        ratio,
        target: metric.target?.text ?? null,
        met: metric.target ? metric.target.met(mine, ratio) : null
      })
    }
    for (const [target, run] of runs ?? []) for (const note of run.notes) notes.push({ scenario: scenario.id, target, note })
  }
  return {
    machine: { cpus: cpus().length, clockTicks: clockTicks(), node: process.version },
    options,
    targets: [...targets],
    skipped: extra.skipped,
    rows,
    notes,
    failed: extra.failed,
    seconds: extra.seconds
  }
}

/** The human table: scenario, metric, one column per target, ratio, target. */
export function formatReport(report: BenchReport, scenarios: readonly Scenario[]): string {
  const digits = new Map(scenarios.flatMap((scenario) => scenario.metrics.map((metric) => [`${scenario.id}/${metric.key}`, metric.digits])))
  const header = ['scenario', 'metric', ...report.targets, 'ratio', 'target']
  const lines = report.rows.map((row) => [
    row.scenario,
    row.metric,
    ...report.targets.map((name) => formatNumber(row.values[name] ?? null, digits.get(`${row.scenario}/${row.key}`) ?? 2)),
    row.ratio === null ? '—' : `${row.ratio.toFixed(2)}×`,
    row.target === null ? '' : `${row.target}${row.met === null ? '' : row.met ? '  met' : '  MISSED'}`
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)))
  const render = (cells: string[]) =>
    cells
      .map((cell, column) => (column >= 2 && column < header.length - 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd()
  const out = [render(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(render)]
  const { machine } = report
  const ratio = report.targets.length > 1 ? `; ratio = ${report.targets.slice(0, 2).join(' / ')}` : ''
  out.push('', `${machine.cpus} CPUs, node ${machine.node}, ${report.seconds.toFixed(0)} s${ratio}`)
  for (const { target, reason } of report.skipped) out.push(`skipped ${target}: ${reason}`)
  for (const { scenario, target, note } of report.notes) out.push(`note ${scenario} ${target}: ${note}`)
  return `${out.join('\n')}\n`
}

function formatNumber(value: number | null, digits: number): string {
  if (value === null) return '—'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}
