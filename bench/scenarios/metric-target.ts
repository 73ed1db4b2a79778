/** A SPEC §9 target for one metric, judged on a measured target's value or its ratio to the reference. */
export interface MetricTarget {
  text: string
  /** What is compared with the limit: the value itself, or the value over the reference's. */
  on: 'value' | 'ratio'
  direction: 'atMost' | 'atLeast' | 'equal'
  /** The limit for a measured target (by target name: SPEC gives the embedded node and cluster mode their own). */
  limit(target: string): number
}

/** How one measured target did against a metric's target. */
export interface Verdict {
  /** What was compared: the value or the ratio; null when a number is missing. */
  observed: number | null
  limit: number
  /** Null when it cannot be judged (a number is missing). */
  met: boolean | null
}

export function judge(target: MetricTarget, name: string, value: number | null, ratio: number | null): Verdict {
  const observed = target.on === 'ratio' ? ratio : value
  const limit = target.limit(name)
  if (observed === null) return { observed, limit, met: null }
  const met = target.direction === 'atMost' ? observed <= limit : target.direction === 'atLeast' ? observed >= limit : observed === limit
  return { observed, limit, met }
}

/** "mqchat 40.00× > 2×: MISSED", for the table and the summary. */
export function describeVerdict(target: MetricTarget, name: string, verdict: Verdict): string {
  if (verdict.met === null || verdict.observed === null) return `${name}: not judged`
  const unit = target.on === 'ratio' ? '×' : ''
  const digits = target.on === 'ratio' || !Number.isInteger(verdict.observed) ? 2 : 0
  const sign = target.direction === 'equal' ? (verdict.met ? '=' : '≠') : verdict.met === (target.direction === 'atMost') ? '≤' : '>'
  const shown = target.direction === 'atLeast' ? (verdict.met ? '≥' : '<') : sign
  return `${name} ${verdict.observed.toFixed(digits)}${unit} ${shown} ${verdict.limit}${unit}: ${verdict.met ? 'met' : 'MISSED'}`
}

/** "measured ≤ factor × reference". */
export function atMostTimesReference(factor: number): MetricTarget {
  return { text: `≤ ${factor}× mosquitto`, on: 'ratio', direction: 'atMost', limit: () => factor }
}

/** SPEC §9's factors by mode: the embedded node's, and cluster mode's (one Redis or a Redis Cluster). */
export interface ModeFactors {
  embedded: number
  cluster: number
}

/** "measured ≤ factor × reference", the factor depending on the mode (e.g. ≤ 2× embedded, ≤ 3× cluster). */
export function atMostTimesReferenceByMode(factors: ModeFactors): MetricTarget {
  return {
    text: `≤ ${factors.embedded}× mosquitto embedded, ≤ ${factors.cluster}× cluster`,
    on: 'ratio',
    direction: 'atMost',
    limit: (target) => (target === 'mqchat' ? factors.embedded : factors.cluster)
  }
}

/** "measured ≥ factor × reference" (throughput). */
export function atLeastTimesReference(factor: number): MetricTarget {
  return { text: `≥ ${factor}× mosquitto`, on: 'ratio', direction: 'atLeast', limit: () => factor }
}

/** "measured ≥ limit" on the value itself (e.g. a ratio the scenario computed against its own baseline). */
export function atLeast(limit: number, unit: string): MetricTarget {
  return { text: `≥ ${limit}${unit}`, on: 'value', direction: 'atLeast', limit: () => limit }
}

/** "measured ≤ limit", whatever the reference does. */
export function atMost(limit: number, unit: string): MetricTarget {
  return { text: `≤ ${limit} ${unit}`, on: 'value', direction: 'atMost', limit: () => limit }
}

/** "measured = 0" (a count of faults). */
export const zero: MetricTarget = { text: '= 0', on: 'value', direction: 'equal', limit: () => 0 }
