/** The case's deadlines: what each asks, when it falls due, how long is left, what its passing sets off. */
import type { ResponseOf } from '../api.js';
import { formatDateTime, hasText, t } from '../i18n.js';
import { OverdueBadge, UrgentBadge } from '../ui/badges.js';
import { TimeLeft } from '../ui/time-left.js';

type Deadline = ResponseOf<'listCaseDeadlines'>['items'][number];

export function ruleText(rule: string): string {
  return hasText(`deadline.rule.${rule}`) ? t(`deadline.rule.${rule}`) : rule;
}

export function CaseDeadlines({ items }: { items: Deadline[] }) {
  if (items.length === 0) return <p>{t('deadlines.empty')}</p>;
  return (
    <ul class="deadlines">
      {items.map((d) => (
        <li key={d.id} class="card">
          <p>
            <strong>{ruleText(d.rule)}</strong> · {t(`deadline.state.${d.state}`)} {d.urgent && <UrgentBadge />} {d.overdue && <OverdueBadge />}
          </p>
          <p>
            {t('deadlines.due')} {d.state === 'open' || d.state === 'paused' ? <TimeLeft dueAt={d.dueAt} overdue={d.overdue} /> : <time dateTime={d.dueAt}>{formatDateTime(d.dueAt)}</time>}
          </p>
          {(d.state === 'open' || d.state === 'paused') && <p class="muted">{d.levelReached >= 1 ? t(`deadlines.reached.${Math.min(d.levelReached, 2)}`) : t('deadlines.whenPassed')}</p>}
        </li>
      ))}
    </ul>
  );
}
