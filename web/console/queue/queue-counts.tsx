/** The queue at a glance: the counts of countCases in words (each a number and its label, no colour alone). */
import type { ResponseOf } from '../api.js';
import { t } from '../i18n.js';

export type Counts = ResponseOf<'countCases'>;

const SHOWN = (): Array<[keyof Counts & ('pool' | 'mine' | 'overdue' | 'urgent'), string]> => [
  ['pool', t('queue.count.pool')],
  ['mine', t('queue.count.mine')],
  ['overdue', t('queue.count.overdue')],
  ['urgent', t('queue.count.urgent')],
];

export function QueueCounts({ counts }: { counts: Counts | null }) {
  if (!counts) return null;
  return (
    <section aria-labelledby="queue-glance" class="glance">
      <h2 id="queue-glance" class="visually-hidden">
        {t('queue.glance')}
      </h2>
      <dl>
        {SHOWN().map(([k, words]) => (
          <div key={k} class={`glance-${k}`}>
            <dt>{words}</dt>
            <dd data-count={k}>{counts[k]}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
