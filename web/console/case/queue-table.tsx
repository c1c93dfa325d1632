/**
 * The rows of the queue: a table at laptop size; below 40rem each row becomes a card (style.css),
 * each cell naming itself through its data-label.
 */
import { t } from '../i18n.js';
import type { ResponseOf } from '../api.js';
import { intakeLabel } from '../ui/catalogues.js';
import { OverdueBadge, RiskBadge, UnreadBadge, UrgentBadge } from '../ui/badges.js';
import { TimeLeft } from '../ui/time-left.js';

type Item = ResponseOf<'listCases'>['items'][number];

interface Props {
  items: Item[];
  canTake: boolean;
  onTake: (item: Item) => Promise<void>;
}

export function QueueTable({ items, canTake, onTake }: Props) {
  const col = {
    reference: t('queue.col.reference'),
    state: t('queue.col.state'),
    region: t('queue.col.region'),
    category: t('queue.col.category'),
    risk: t('queue.col.risk'),
    signals: t('queue.col.signals'),
    due: t('queue.col.due'),
    unread: t('queue.col.unread'),
    action: t('queue.col.action'),
  };
  return (
    <table class="queue" aria-labelledby="queue-results">
      <thead>
        <tr>
          <th scope="col">{col.reference}</th>
          <th scope="col">{col.state}</th>
          <th scope="col">{col.region}</th>
          <th scope="col">{col.category}</th>
          <th scope="col">{col.risk}</th>
          <th scope="col">{col.signals}</th>
          <th scope="col">{col.due}</th>
          <th scope="col">{col.unread}</th>
          {canTake && <th scope="col">{col.action}</th>}
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.id} data-case-id={item.id}>
            <th scope="row" data-label={col.reference}>
              <a href={`/console/cases/${item.id}`}>{item.reference}</a>
            </th>
            <td data-label={col.state}>{t(`state.${item.state}`)}</td>
            <td data-label={col.region}>{intakeLabel('region', item.region)}</td>
            <td data-label={col.category}>{intakeLabel('defenderCategory', item.defenderCategory)}</td>
            <td data-label={col.risk}>
              <RiskBadge level={item.riskLevel} />
            </td>
            <td data-label={col.signals}>
              <span class="badges">
                {item.urgent && <UrgentBadge />}
                {item.overdue && <OverdueBadge />}
                {!item.urgent && !item.overdue && <span class="muted">{t('badge.none')}</span>}
              </span>
            </td>
            <td data-label={col.due}>{item.nextDue ? <TimeLeft dueAt={item.nextDue.dueAt} overdue={item.overdue} /> : <span class="muted">{t('queue.noDeadline')}</span>}</td>
            <td data-label={col.unread}>
              <UnreadBadge count={item.unreadMessages} />
            </td>
            {canTake && (
              <td data-label={col.action}>
                <button type="button" onClick={() => void onTake(item)}>
                  {t('queue.take')} <span class="visually-hidden">{item.reference}</span>
                </button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
