/** Nearest-rank percentile of ascending values; null when there are none. */
export function percentile(sorted: number[], p: number): number | null {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : null;
}

/**
 * Attempt latencies are kept as a histogram with buckets 5 % wide (bucket b holds values up to
 * 1.05^b ms), so per-hour aggregates stay small and tenant-wide percentiles merge by adding counts.
 */
export type Histogram = Record<string, number>;

const LOG_STEP = Math.log(1.05);

export function latencyBucket(ms: number): number {
  return ms <= 1 ? 0 : Math.ceil(Math.log(ms) / LOG_STEP);
}

export function addToHistogram(into: Histogram, from: Histogram): Histogram {
  for (const [b, n] of Object.entries(from)) into[b] = (into[b] ?? 0) + n;
  return into;
}

/** Nearest-rank percentile of a histogram, as its bucket's upper bound (within 5 %); null when empty. */
export function histogramPercentile(h: Histogram, p: number): number | null {
  const buckets = Object.entries(h).map(([b, n]) => [Number(b), n] as const).sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [b, n] of buckets) {
    seen += n;
    if (seen >= rank) return b === 0 ? 1 : Math.round(Math.pow(1.05, b));
  }
  return null;
}
