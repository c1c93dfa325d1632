/** Timing helpers shared by the benchmarks: a monotonic clock in milliseconds and sample summaries. */

/** Monotonic time in milliseconds with sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface Summary {
  n: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  sd: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return {
    n,
    mean,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[n - 1] ?? Number.NaN,
    sd: Math.sqrt(variance),
  };
}

/** Rounds every number of a summary, for latest.json. */
export function roundSummary(s: Summary, digits = 4): Summary {
  const r = (x: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
  return { n: s.n, mean: r(s.mean), min: r(s.min), p50: r(s.p50), p90: r(s.p90), p99: r(s.p99), max: r(s.max), sd: r(s.sd) };
}

/**
 * Times `fn` once per sample for several contenders, interleaved: each round runs every contender
 * once, in an order that rotates from round to round, so drift (thermal, other load, GC debt)
 * spreads evenly over all of them instead of penalising whichever ran last.
 */
export function interleave(contenders: ReadonlyArray<() => unknown>, rounds: number, warmupRounds: number): number[][] {
  const samples = contenders.map(() => [] as number[]);
  let sink = 0;
  for (let r = -warmupRounds; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (((r % contenders.length) + contenders.length + k) % contenders.length);
      const fn = contenders[i]!;
      const t0 = nowMs();
      const out = fn();
      const t1 = nowMs();
      if (out !== undefined) sink++;
      if (r >= 0) samples[i]!.push(t1 - t0);
    }
  }
  if (sink < 0) throw new Error('unreachable');
  return samples;
}
