/** Cases per officer (GET /v1/staff/load): open cases by state, urgent, overdue; a link to hand over a leaver's work. */
import { t } from '../i18n.js';
import type { ResponseOf } from '../api.js';

export type Load = ResponseOf<'getStaffLoad'>;

const STATES = ['received', 'triage', 'info_requested', 'assessment', 'decision', 'protection'] as const;

/** A state's name (literal keys, which the catalogues' test checks). */
function stateName(s: (typeof STATES)[number]): string {
  switch (s) {
    case 'received':
      return t('state.received');
    case 'triage':
      return t('state.triage');
    case 'info_requested':
      return t('state.info_requested');
    case 'assessment':
      return t('state.assessment');
    case 'decision':
      return t('state.decision');
    case 'protection':
      return t('state.protection');
  }
}

export function StaffLoad({ load }: { load: Load }) {
  const col = { officer: t('oversight.col.officer'), open: t('oversight.col.open'), byState: t('oversight.col.byState'), urgent: t('oversight.col.urgent'), overdue: t('oversight.col.overdue'), action: t('oversight.col.action') };
  return (
    <>
      <p>{t('oversight.unassigned', { n: String(load.unassigned) })}</p>
      <table class="queue" aria-labelledby="board-load">
        <thead>
          <tr>
            <th scope="col">{col.officer}</th>
            <th scope="col">{col.open}</th>
            <th scope="col">{col.byState}</th>
            <th scope="col">{col.urgent}</th>
            <th scope="col">{col.overdue}</th>
            <th scope="col">{col.action}</th>
          </tr>
        </thead>
        <tbody>
          {load.items.map((o) => (
            <tr key={o.userId} data-user-id={o.userId}>
              <th scope="row" data-label={col.officer}>
                {o.username}
                {o.status === 'disabled' && <> ({t('oversight.disabled')})</>}
              </th>
              <td data-label={col.open}>{o.open}</td>
              <td data-label={col.byState}>
                {STATES.filter((s) => (o.byState[s] ?? 0) > 0)
                  .map((s) => `${stateName(s)} ${o.byState[s]}`)
                  .join(', ') || <span class="muted">{t('badge.none')}</span>}
              </td>
              <td data-label={col.urgent}>{o.urgent}</td>
              <td data-label={col.overdue}>{o.overdue}</td>
              <td data-label={col.action}>
                <a href={`/console/staff/${o.userId}/leave`}>
                  {t('oversight.leaveLink')} <span class="visually-hidden">{o.username}</span>
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
