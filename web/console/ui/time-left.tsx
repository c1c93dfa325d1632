/** A due time with how long is left (or how late it is), in the reader's language. */
import { formatDateTime, lang, t } from '../i18n.js';

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** One formatter per language, made once (the queue shows one time left per row). */
const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();
function relativeFormat(code: string): Intl.RelativeTimeFormat {
  let format = relativeFormats.get(code);
  if (!format) {
    format = new Intl.RelativeTimeFormat(code, { numeric: 'auto' });
    relativeFormats.set(code, format);
  }
  return format;
}

/** "in 3 hours", "2 days ago": the largest unit that fits. */
function relativeTime(iso: string, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const rtf = relativeFormat(lang.value);
  for (const [unit, ms] of UNITS) if (Math.abs(diff) >= ms) return rtf.format(Math.round(diff / ms), unit);
  return rtf.format(Math.round(diff / 60_000), 'minute');
}

/** The due time, then the time left, or "overdue" when the service says it has passed. */
export function TimeLeft({ dueAt, overdue }: { dueAt: string; overdue: boolean }) {
  return (
    <span class="time-left">
      <time dateTime={dueAt}>{formatDateTime(dueAt)}</time> <span class={overdue ? 'late' : 'muted'}>({overdue ? t('time.overdueSince', { when: relativeTime(dueAt) }) : relativeTime(dueAt)})</span>
    </span>
  );
}
