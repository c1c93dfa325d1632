/**
 * Durations in the roll-up are bucket codes (stats_bucket in migration 0026): `h005` is 5 to 6
 * hours, `d004` 4 to 5 days, `over_60d` beyond. A median or a 90th percentile is given as the
 * bucket it falls in: exact enough to report, and what the counters can tell without the cases.
 */
import type { Label } from './stats-dimensions.js';

/** The lower bound of a bucket in hours (Infinity for `over_60d`, NaN for an unknown code). */
export function bucketHours(code: string): number {
  if (code === 'over_60d') return Number.POSITIVE_INFINITY;
  const n = Number(code.slice(1));
  if (code.startsWith('h')) return n;
  if (code.startsWith('d')) return n * 24;
  return Number.NaN;
}

export function isBucket(code: string): boolean {
  return code === 'over_60d' || /^[hd][0-9]{3}$/.test(code);
}

export function bucketLabel(code: string): Label {
  if (code === 'over_60d') return { fr: 'plus de 60 jours', en: 'over 60 days' };
  const n = Number(code.slice(1));
  if (code.startsWith('h')) return { fr: `${n} à ${n + 1} h`, en: `${n} to ${n + 1} h` };
  return { fr: `${n} à ${n + 1} jours`, en: `${n} to ${n + 1} days` };
}

/** The bucket holding the q-quantile (0 < q <= 1) of a distribution given as bucket -> count. */
export function quantileBucket(counts: ReadonlyMap<string, number>, q: number): string | null {
  const sorted = [...counts.entries()].filter(([, n]) => n > 0).sort((x, y) => bucketHours(x[0]) - bucketHours(y[0]));
  const total = sorted.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const [code, n] of sorted) {
    seen += n;
    if (seen >= rank) return code;
  }
  return sorted[sorted.length - 1]![0];
}
