import { cpus } from 'node:os'
import type { BenchOptions, ScenarioId } from './options.js'
import { describeVerdict, judge, type Verdict } from './scenarios/metric-target.js'
import type { Scenario, ScenarioRun } from './scenarios/scenario.js'
import { clockTicks } from './services/proc.js'

/** One line of the table: a metric of a scenario on every target, and how each measured target compares. */
export interface BenchRow {
  scenario: ScenarioId
  metric: string
  key: string
  /** By target name; null when not measured (skipped, failed). */
  values: Record<string, number | null>
  /** By measured target: its value over the reference's; null when either is missing or the reference's is (near) zero. */
  ratios: Record<string, number | null>
  /** The SPEC §9 target, when one applies to this metric. */
  target: string | null
  /** By measured target: whether it met `target`; null when it cannot be judged. Empty without a target. */
  met: Record<string, boolean | null>
  /** By measured target: what was compared (value or ratio), the limit, and met. Empty without a target. */
  verdicts: Record<string, Verdict>
}

export interface BenchReport {
  machine: { cpus: number; clockTicks: number; node: string }
  options: BenchOptions
  /** Every target that ran, in `--targets` order. */
  targets: string[]
  /** The targets compared with the reference: every one but the reference. */
  measured: string[]
  /** The last of `--targets` when more than one was asked for and it ran; null otherwise. */
  reference: string | null
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
  const last = options.targets.at(-1)
  const reference = options.targets.length > 1 && last !== undefined && targets.includes(last) ? last : null
  const measured = targets.filter((name) => name !== reference)
  for (const scenario of scenarios) {
    const runs = results.get(scenario.id)
    for (const metric of scenario.metrics) {
      const values = Object.fromEntries(targets.map((name) => [name, runs?.get(name)?.metrics[metric.key] ?? null]))
      const theirs = reference === null ? null : (values[reference] ?? null)
      // a reference that shows as 0 at the table's precision makes a meaningless ratio
      const base = theirs !== null && Math.abs(theirs) >= 0.5 * 10 ** -metric.digits ? theirs : null
      const ratios: BenchRow['ratios'] = {}
      const met: BenchRow['met'] = {}
      const verdicts: BenchRow['verdicts'] = {}
      for (const name of measured) {
        const mine = values[name] ?? null
        const ratio = mine !== null && base !== null ? mine / base : null
        if (reference !== null) ratios[name] = ratio
        if (!metric.target) continue
        verdicts[name] = judge(metric.target, name, mine, ratio)
        met[name] = verdicts[name].met
      }
      rows.push({
        scenario: scenario.id,
        metric: metric.label,
        key: metric.key,
        values,
        ratios,
        target: metric.target?.text ?? null,
        met,
        verdicts
      })
    }
    for (const [target, run] of runs ?? []) for (const note of run.notes) notes.push({ scenario: scenario.id, target, note })
  }
  return {
    machine: { cpus: cpus().length, clockTicks: clockTicks(), node: process.version },
    options,
    targets: [...targets],
    measured,
    reference,
    skipped: extra.skipped,
    rows,
    notes,
    failed: extra.failed,
    seconds: extra.seconds
  }
}

/** The human table: scenario, metric, one column per target, one ratio column per measured target, SPEC target. */
export function formatReport(report: BenchReport, scenarios: readonly Scenario[]): string {
  const digits = new Map(scenarios.flatMap((scenario) => scenario.metrics.map((metric) => [`${scenario.id}/${metric.key}`, metric.digits])))
  const compared = report.reference === null ? [] : report.measured
  const ratioTitle = (name: string) => (compared.length === 1 ? 'ratio' : `${name} ratio`)
  const header = ['scenario', 'metric', ...report.targets, ...compared.map(ratioTitle), 'target']
  const lines = report.rows.map((row) => [
    row.scenario,
    row.metric,
    ...report.targets.map((name) => formatNumber(row.values[name] ?? null, digits.get(`${row.scenario}/${row.key}`) ?? 2)),
    ...compared.map((name) => {
      const ratio = row.ratios[name] ?? null
      return ratio === null ? '—' : `${ratio.toFixed(2)}×`
    }),
    row.target === null ? '' : `${row.target}${judgement(row.met)}`
  ])
  const targets = new Map(
    scenarios.flatMap((scenario) => scenario.metrics.map((metric) => [`${scenario.id}/${metric.key}`, metric.target]))
  )
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)))
  const render = (cells: string[]) =>
    cells
      .map((cell, column) => (column >= 2 && column < header.length - 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd()
  const out = [render(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(render)]
  const { machine } = report
  const ratio = compared.length === 0 ? '' : `; ratio = ${compared.map((name) => `${name} / ${report.reference}`).join(', ')}`
  out.push('', `${machine.cpus} CPUs, node ${machine.node}, ${report.seconds.toFixed(0)} s${ratio}`)
  const judged = report.rows.filter((row) => Object.values(row.verdicts).some((verdict) => verdict.met !== null))
  if (judged.length > 0) out.push('', 'SPEC §9 targets:')
  for (const row of judged) {
    const target = targets.get(`${row.scenario}/${row.key}`)
    if (!target) continue
    const verdicts = Object.entries(row.verdicts).map(([name, verdict]) => describeVerdict(target, name, verdict))
    out.push(`  ${row.scenario} ${row.metric} (${row.target}): ${verdicts.join('; ')}`)
  }
  for (const { target, reason } of report.skipped) out.push(`skipped ${target}: ${reason}`)
  for (const { scenario, target, note } of report.notes) out.push(`note ${scenario} ${target}: ${note}`)
  return `${out.join('\n')}\n`
}

/** "  met" for one measured target; "  mqchat met, cluster MISSED" for several; nothing when none could be judged. */
function judgement(met: BenchRow['met']): string {
  const judged = Object.entries(met).filter((entry): entry is [string, boolean] => entry[1] !== null)
  const word = (ok: boolean) => (ok ? 'met' : 'MISSED')
  if (judged.length === 0) return ''
  if (Object.keys(met).length === 1) return `  ${word(judged[0]![1])}`
  return `  ${judged.map(([name, ok]) => `${name} ${word(ok)}`).join(', ')}`
}

function formatNumber(value: number | null, digits: number): string {
  if (value === null) return '—'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}
