/**
 * Months, quarters and years of the statistics. The roll-up counts by month (in the mechanism's
 * time zone); a quarter or a year is the sum of its months.
 */
export type Granularity = 'month' | 'quarter' | 'year';

/** The first day of a `YYYY-MM` month, as the roll-up stores it. */
export const firstDay = (month: string): string => `${month}-01`;

/** The month after `YYYY-MM`. */
export function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** How many months from `from` to `to`, both included (0 when `to` is before `from`). */
export function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  return Math.max(0, (ty - fy) * 12 + (tm - fm) + 1);
}

/** The period a month (`YYYY-MM` or `YYYY-MM-DD`) falls in: `2026-03`, `2026-Q1` or `2026`. */
export function periodOf(month: string, granularity: Granularity): string {
  const y = month.slice(0, 4);
  const m = Number(month.slice(5, 7));
  if (granularity === 'year') return y;
  if (granularity === 'quarter') return `${y}-Q${Math.ceil(m / 3)}`;
  return month.slice(0, 7);
}

/** Every period of [from, to] in order, so empty ones are shown as zero rather than left out. */
export function periodsBetween(from: string, to: string, granularity: Granularity): string[] {
  const out: string[] = [];
  for (let m = from, i = monthsBetween(from, to); i > 0; m = nextMonth(m), i--) {
    const p = periodOf(m, granularity);
    if (out[out.length - 1] !== p) out.push(p);
  }
  return out;
}
