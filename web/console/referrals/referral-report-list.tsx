/**
 * A referral's progress reports: status, when, and the note as the worker opened it. Who reads
 * says how a note that did not open is told (the officer's keys, the organisation's key).
 */
import type { ComponentChildren } from 'preact';
import { formatDateTime, t } from '../i18n.js';

/** A report with its note opened in the worker: `text` null when it has none or it did not open. */
export interface OpenedReport {
  id: string;
  status: string;
  reportedAt: string;
  hasNote: boolean;
  text: string | null;
}

/** `unopened` stands for a note that did not open; `cards` boxes each report where the list stands in no card of its own. */
export function ReferralReportList({ reports, unopened, cards = false }: { reports: readonly OpenedReport[]; unopened: ComponentChildren; cards?: boolean }) {
  return (
    <ul class="referral-reports">
      {reports.map((r) => (
        <li key={r.id} class={cards ? 'card' : undefined}>
          <p>
            <strong>{t(`referrals.reportStatus.${r.status}`)}</strong> · <time dateTime={r.reportedAt}>{formatDateTime(r.reportedAt)}</time>
          </p>
          {r.hasNote && (r.text === null ? unopened : <p class="sealed-text">{r.text}</p>)}
        </li>
      ))}
    </ul>
  );
}
