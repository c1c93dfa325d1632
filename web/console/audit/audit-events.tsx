/**
 * Audit events as a supervisor reads them: the time in the mechanism's zone, who (a colleague's
 * name rather than an id), what in words, the outcome, the resource and the recorded reason. A
 * read through a break-glass is marked, so it stands out in a long list.
 */
import { formatDateTime, hasText, t } from '../i18n.js';
import type { ResponseOf } from '../api.js';
import { Icon } from '../ui/badges.js';
import { staffName } from '../ui/staff-names.js';

export type AuditItem = ResponseOf<'listAuditEvents'>['items'][number];

export const BREAK_GLASS_READ = 'break_glass.read';

/** `u:<userId>` as the colleague's name, `d:<caseId>` as the defender, `system` as the service. */
export function actorText(actor: string): string {
  if (actor.startsWith('u:')) return staffName(actor.slice(2)) ?? t('audit.actorColleague', { id: actor.slice(2, 10) });
  if (actor.startsWith('d:')) return t('audit.actorDefender');
  if (actor === 'system') return t('audit.actorSystem');
  return actor;
}

/** An action in words when the catalogue has them, else its code as recorded. */
export function actionText(action: string): string {
  return hasText(`audit.action.${action}`) ? t(`audit.action.${action}`) : action;
}

export function AuditEvents({ items, caption }: { items: AuditItem[]; caption: string }) {
  if (items.length === 0) return <p>{t('audit.empty')}</p>;
  return (
    <table class="queue audit-events">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{t('audit.col.at')}</th>
          <th scope="col">{t('audit.col.actor')}</th>
          <th scope="col">{t('audit.col.action')}</th>
          <th scope="col">{t('audit.col.outcome')}</th>
          <th scope="col">{t('audit.col.resource')}</th>
          <th scope="col">{t('audit.col.reason')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => {
          const breakGlass = e.action === BREAK_GLASS_READ;
          return (
            <tr key={e.seq} data-seq={e.seq} data-action={e.action} class={breakGlass ? 'audit-break-glass' : undefined}>
              <td data-label={t('audit.col.at')}>
                <time dateTime={e.at}>{formatDateTime(e.at)}</time>
              </td>
              <td data-label={t('audit.col.actor')}>
                {actorText(e.actor)} <span class="muted">({hasText(`role.${e.role}`) ? t(`role.${e.role}`) : e.role})</span>
              </td>
              <td data-label={t('audit.col.action')}>
                {breakGlass && (
                  <span class="badge badge-urgent">
                    <Icon shape="triangle" />
                    {t('audit.breakGlass')}
                  </span>
                )}{' '}
                {actionText(e.action)}
              </td>
              <td data-label={t('audit.col.outcome')}>
                <span class={e.outcome === 'denied' ? 'badge badge-urgent' : 'badge badge-read'}>{e.outcome === 'denied' ? t('audit.outcome.denied') : t('audit.outcome.allowed')}</span>
              </td>
              <td data-label={t('audit.col.resource')} class="audit-resource">
                {e.caseId ? <a href={`/console/cases/${e.caseId}`}>{e.resource}</a> : e.resource}
              </td>
              <td data-label={t('audit.col.reason')} class="audit-reason">
                {e.reason ?? ''}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
