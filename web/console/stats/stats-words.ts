/**
 * The statistics' words: labels the API gives in French and English (codes of the policies,
 * officers, organisations, duration buckets) in the reader's language, periods, duration buckets
 * of a median, deadline rules and escalation steps. Code labels are never copied into the
 * console's catalogues: they come with the answers (GET /v1/stats/catalogue, `labels` of a table).
 */
import { hasText, lang, t, timeZone } from '../i18n.js';

export interface Label {
  fr: string;
  en: string;
}

/** A label of the API in the reader's language (the policies carry French and English; English for the others). */
export const pick = (label: Label): string => (lang.value === 'fr' ? label.fr : label.en);

/** `YYYY-MM` in the mechanism's time zone, today. */
export function thisMonth(): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timeZone.value, year: 'numeric', month: '2-digit' }).formatToParts(new Date());
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}`;
}

const monthFormats = new Map<string, Intl.DateTimeFormat>();

/** A period of the API in words: `2026-03` a month, `2026-Q1` a quarter, `2026` a year. */
export function periodLabel(period: string): string {
  const quarter = /^(\d{4})-Q([1-4])$/.exec(period);
  if (quarter) return t('stats.period.quarter', { q: quarter[2]!, year: quarter[1]! });
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (!month) return period;
  let format = monthFormats.get(lang.value);
  if (!format) {
    format = new Intl.DateTimeFormat(lang.value, { month: 'short', year: 'numeric', timeZone: 'UTC' });
    monthFormats.set(lang.value, format);
  }
  return format.format(new Date(Date.UTC(Number(month[1]), Number(month[2]) - 1, 1)));
}

/** A duration bucket (the median's, the 90th percentile's): `h005` 5 to 6 hours, `d004` 4 to 5 days, `over_60d`. */
export function bucketLabel(code: string | null): string {
  if (code === null) return t('stats.none');
  if (code === 'over_60d') return t('stats.bucket.over60d');
  const m = /^([hd])(\d{3})$/.exec(code);
  if (!m) return code;
  const from = Number(m[2]);
  return m[1] === 'h' ? t('stats.bucket.hours', { from, to: from + 1 }) : t('stats.bucket.days', { from, to: from + 1 });
}

const capital = (s: string) => s.charAt(0).toLocaleUpperCase(lang.value) + s.slice(1);

/** A deadline rule of policies/deadlines.yaml, in the words the case page uses. */
export function ruleLabel(rule: string): string {
  return hasText(`deadline.rule.${rule}`) ? t(`deadline.rule.${rule}`) : rule;
}

/** An escalation step, in the words the supervision board uses. */
export function stepLabel(step: string): string {
  if (step === 'reminder') return capital(t('oversight.step.reminder'));
  if (step === 'level1') return capital(t('oversight.step.level1'));
  if (step === 'level2') return capital(t('oversight.step.level2'));
  return step;
}

/** A count in the reader's language (thousands separated). */
export const count = (n: number): string => n.toLocaleString(lang.value);

/** What a table counts, said in words (a case citing two violations is two mentions). */
export function unitText(unit: 'cases' | 'mentions' | 'measures' | 'referrals' | 'deadlines' | 'escalations'): string {
  switch (unit) {
    case 'cases':
      return t('stats.unit.cases');
    case 'mentions':
      return t('stats.unit.mentions');
    case 'measures':
      return t('stats.unit.measures');
    case 'referrals':
      return t('stats.unit.referrals');
    case 'deadlines':
      return t('stats.unit.deadlines');
    case 'escalations':
      return t('stats.unit.escalations');
  }
}
