/** Every transition of the case, oldest first: who, when, what, from which state to which, why. */
import type { ResponseOf } from '../api.js';
import { formatDateTime, hasText, t } from '../i18n.js';
import { account } from '../session.js';
import { staffName } from '../ui/staff-names.js';

type Entry = ResponseOf<'getCaseTimeline'>['items'][number];

function actorText(actor: string): string {
  if (actor === `u:${account.value?.id ?? ''}`) return t('timeline.actor.me');
  if (actor === 'defender' || actor.startsWith('d:')) return t('timeline.actor.defender');
  if (actor.startsWith('u:')) return staffName(actor.slice(2)) ?? t('timeline.actor.staff');
  return t('timeline.actor.system');
}

function actionText(action: string): string {
  return hasText(`action.${action}`) ? t(`action.${action}`) : action;
}

export function CaseTimeline({ items }: { items: Entry[] }) {
  if (items.length === 0) return <p>{t('timeline.empty')}</p>;
  return (
    <ol class="timeline">
      {items.map((e) => (
        <li key={e.id}>
          <time dateTime={e.at}>{formatDateTime(e.at)}</time> · <strong>{actionText(e.action)}</strong> · {actorText(e.actor)}
          {e.fromState !== e.toState && e.toState && <span> · {t('timeline.states', { from: e.fromState ? t(`state.${e.fromState}`) : '—', to: t(`state.${e.toState}`) })}</span>}
          {e.reason && <p class="reason">{e.reason}</p>}
        </li>
      ))}
    </ol>
  );
}
