/**
 * The header's link to the notifications with the unread count, refreshed at each navigation
 * (and when the inbox marks some read): simple, and enough for an inbox read by people.
 */
import { signal } from '@preact/signals';
import { useLocation } from 'preact-iso/router';
import { useEffect } from 'preact/hooks';
import { call } from '../api.js';
import { t } from '../i18n.js';
import { Icon } from './badges.js';

const unreadNotifications = signal(0);

/** Counts the unread notifications (up to 100: "100+" beyond). */
export async function refreshUnread(): Promise<void> {
  try {
    const page = await call('listNotifications', { query: { unread: 'true', limit: '100' } });
    unreadNotifications.value = page.items.length;
  } catch {
    // The count is a hint: the inbox itself says what went wrong.
  }
}

export function NotificationsLink() {
  const { url } = useLocation();
  useEffect(() => void refreshUnread(), [url]);
  const n = unreadNotifications.value;
  return (
    <a href="/console/notifications">
      {t('nav.notifications')}
      {n > 0 && (
        <span class="badge badge-unread nav-count">
          <Icon shape="dot" />
          {t('nav.unreadCount', { count: n >= 100 ? '100+' : n })}
        </span>
      )}
    </a>
  );
}
