/**
 * Workload per officer (GET /v1/stats/workload): the cases each has open now, by state, and the
 * requests of the range they are in charge of; the requests of the range nobody has taken yet.
 */
import type { ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { figure, FigureTable } from './figure-table.js';
import { count } from './stats-words.js';

type Workload = ResponseOf<'getStatsWorkload'>;

const sum = (ns: number[]) => ns.reduce((s, n) => s + n, 0);

export function WorkloadView({ workload }: { workload: Workload }) {
  const open = (o: Workload['officers'][number]) => sum(Object.values(o.open));
  const byState = (o: Workload['officers'][number]) =>
    Object.entries(o.open)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${t(`state.${state}`)} ${count(n)}`)
      .join(', ');
  return (
    <>
      <FigureTable
        caption={t('stats.workload.caption')}
        corner={t('stats.workload.officer')}
        columns={[
          { code: 'received', label: t('stats.workload.received') },
          { code: 'open', label: t('stats.workload.open') },
          { code: 'byState', label: t('stats.workload.byState') },
        ]}
        rows={workload.officers.map((o) => ({ code: o.userId, label: o.username, cells: [figure(o.received), figure(open(o)), { text: byState(o) }] }))}
        totals={{ cells: [figure(sum(workload.officers.map((o) => o.received))), figure(sum(workload.officers.map(open))), { text: '' }] }}
      />
      <p data-unassigned={workload.unassigned}>{t('stats.workload.unassigned', { n: count(workload.unassigned) })}</p>
    </>
  );
}
