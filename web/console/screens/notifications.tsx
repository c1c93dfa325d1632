/** The inbox: the signed-in person's notifications, newest first, unread ones marked; mark one or all read. */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, hasText, t } from '../i18n.js';
import { ruleText } from '../case/case-deadlines.js';
import { Icon } from '../ui/badges.js';
import { Problem } from '../ui/problem.js';
import { refreshUnread } from '../ui/unread-notifications.js';

type Item = ResponseOf<'listNotifications'>['items'][number];
const PAGE = 50;

function topicText(n: Item): string {
  const base = hasText(`notification.${n.topic}`) ? t(`notification.${n.topic}`) : t('notification.other', { topic: n.topic });
  const rule = typeof n.payload.rule === 'string' ? ` (${ruleText(n.payload.rule)})` : '';
  return `${base}${rule}`;
}

export function Notifications() {
  const [items, setItems] = useState<Item[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const load = async (after?: Item) => {
    setError(null);
    try {
      const page = await call('listNotifications', { query: { limit: String(PAGE), ...(after ? { afterAt: after.createdAt, afterId: after.id } : {}) } });
      setItems((prev) => (after && prev ? [...prev, ...page.items] : page.items));
      setMore(page.items.length === PAGE);
    } catch (err) {
      setError(codeOf(err));
    }
  };
  useEffect(() => void load(), []);

  const markOne = async (n: Item) => {
    try {
      const updated = await call('markNotificationRead', { params: { id: n.id } });
      setItems((prev) => prev?.map((x) => (x.id === n.id ? updated : x)) ?? null);
      setStatus(t('notifications.markedOne'));
      await refreshUnread();
    } catch (err) {
      setError(codeOf(err));
    }
  };
  const markAll = async () => {
    try {
      const { marked } = await call('markAllNotificationsRead');
      setStatus(t('notifications.markedAll', { count: marked }));
      await load();
      await refreshUnread();
    } catch (err) {
      setError(codeOf(err));
    }
  };

  const unread = (items ?? []).filter((n) => !n.readAt).length;
  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title">{t('notifications.title')}</h1>
      <Problem code={error} />
      <p role="status">{status ?? ''}</p>
      {items && unread > 0 && (
        <button type="button" onClick={() => void markAll()}>
          {t('notifications.markAll')}
        </button>
      )}
      {items === null ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('notifications.empty')}</p>
      ) : (
        <ul class="inbox">
          {items.map((n) => (
            <li key={n.id} class={n.readAt ? 'card notice' : 'card notice notice-unread'} data-notification-id={n.id}>
              <p>
                {n.readAt ? (
                  <span class="badge badge-read">{t('notifications.read')}</span>
                ) : (
                  <span class="badge badge-unread">
                    <Icon shape="dot" />
                    {t('notifications.unread')}
                  </span>
                )}{' '}
                <strong>{topicText(n)}</strong>
              </p>
              <p class="muted">
                <time dateTime={n.createdAt}>{formatDateTime(n.createdAt)}</time>
                {n.caseId && n.reference && (
                  <>
                    {' · '}
                    <a href={`/console/cases/${n.caseId}`}>{t('notifications.case', { reference: n.reference })}</a>
                  </>
                )}
                {n.caseId && n.topic === 'case.break_glass' && (
                  <>
                    {' · '}
                    <a href={`/console/cases/${n.caseId}/access-log`}>{t('notifications.accessLog', { reference: n.reference ?? '' })}</a>
                  </>
                )}
              </p>
              {!n.readAt && (
                <button type="button" onClick={() => void markOne(n)}>
                  {t('notifications.markOne')} <span class="visually-hidden">{topicText(n)}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {more && items && (
        <button type="button" onClick={() => void load(items.at(-1))}>
          {t('notifications.more')}
        </button>
      )}
    </section>
  );
}
