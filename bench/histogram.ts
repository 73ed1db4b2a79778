/** Buckets grow by 2%: a quantile read from them is within 1% of the true value. */
const GROWTH = 1.02
const LOG_GROWTH = Math.log(GROWTH)

/** Bucket index -> count; small enough to send over IPC and merge across generator processes. */
export type HistogramData = [bucket: number, count: number][]

/** A log-bucketed histogram of positive values (latencies in microseconds). */
export class Histogram {
  private readonly counts = new Map<number, number>()
  private total = 0

  record(value: number): void {
    const bucket = value < 1 ? 0 : Math.floor(Math.log(value) / LOG_GROWTH) + 1
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1)
    this.total++
  }

  get count(): number {
    return this.total
  }

  toData(): HistogramData {
    return [...this.counts.entries()]
  }

  static merge(parts: readonly HistogramData[]): Histogram {
    const merged = new Histogram()
    for (const part of parts) {
      for (const [bucket, count] of part) {
        merged.counts.set(bucket, (merged.counts.get(bucket) ?? 0) + count)
        merged.total += count
      }
    }
    return merged
  }

  /** The value below which a fraction `q` (0..1) of the recorded values lie; null when empty. */
  quantile(q: number): number | null {
    if (this.total === 0) return null
    const rank = Math.max(1, Math.ceil(q * this.total))
    let seen = 0
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket) ?? 0
      if (seen >= rank) return bucket === 0 ? 0.5 : Math.sqrt(GROWTH ** (bucket - 1) * GROWTH ** bucket)
    }
    return null
  }

  clear(): void {
    this.counts.clear()
    this.total = 0
  }
}

/** Microseconds on the system-wide monotonic clock: comparable between the generator processes. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n)
}
