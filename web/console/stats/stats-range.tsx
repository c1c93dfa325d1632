/**
 * The months a statistics screen counts and how it groups them: read from the address (so a
 * view can be kept and shared as a link), the current year by month unless it says otherwise,
 * and the fields that change them.
 */
import { useId } from 'preact/hooks';
import { t } from '../i18n.js';
import { thisMonth } from './stats-words.js';

export type Granularity = 'month' | 'quarter' | 'year';

export interface Range {
  from: string;
  to: string;
  period: Granularity;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const GRANULARITIES: readonly Granularity[] = ['month', 'quarter', 'year'];

/** The range an address asks for; the current year by month for what it does not say. */
export function rangeOf(query: Record<string, string | undefined>): Range {
  const year = thisMonth().slice(0, 4);
  const period = GRANULARITIES.find((g) => g === query.period) ?? 'month';
  return { from: MONTH.test(query.from ?? '') ? query.from! : `${year}-01`, to: MONTH.test(query.to ?? '') ? query.to! : `${year}-12`, period };
}

/** An address's query for some values (empty ones left out). */
export function queryString(values: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  return q.toString();
}

/** The grouping and the first and last months, for a filter form. */
export function RangeFields({ value, onChange }: { value: Range; onChange: (r: Range) => void }) {
  const id = useId();
  return (
    <>
      <div class="field">
        <label for={`${id}-period`}>{t('stats.range.period')}</label>
        <select id={`${id}-period`} value={value.period} onChange={(e) => onChange({ ...value, period: e.currentTarget.value as Granularity })}>
          <option value="month">{t('stats.range.month')}</option>
          <option value="quarter">{t('stats.range.quarter')}</option>
          <option value="year">{t('stats.range.year')}</option>
        </select>
      </div>
      <div class="field">
        <label for={`${id}-from`}>{t('stats.range.from')}</label>
        <input id={`${id}-from`} type="month" required pattern="[0-9]{4}-[0-9]{2}" placeholder="2026-01" value={value.from} aria-describedby={`${id}-hint`} onInput={(e) => onChange({ ...value, from: e.currentTarget.value })} />
      </div>
      <div class="field">
        <label for={`${id}-to`}>{t('stats.range.to')}</label>
        <input id={`${id}-to`} type="month" required pattern="[0-9]{4}-[0-9]{2}" placeholder="2026-12" value={value.to} aria-describedby={`${id}-hint`} onInput={(e) => onChange({ ...value, to: e.currentTarget.value })} />
      </div>
      <p class="hint stats-range-hint" id={`${id}-hint`}>
        {t('stats.range.hint')}
      </p>
    </>
  );
}
