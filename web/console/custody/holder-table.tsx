/** Who holds a key: name, role, the fingerprint of the key their entry is sealed to, who granted it and when. */
import { formatDateTime, t } from '../i18n.js';
import type { Holder } from './custody-view.js';

export function HolderTable({ caption, holders }: { caption: string; holders: Holder[] }) {
  if (holders.length === 0) return <p class="muted">{t('custody.nobody')}</p>;
  return (
    // Focusable and named: on a phone the table may scroll sideways, and a keyboard must reach it.
    <div class="table-scroll" tabIndex={0} role="region" aria-label={caption}>
      <table class="custody-holders">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('custody.colName')}</th>
            <th scope="col">{t('custody.colFingerprint')}</th>
            <th scope="col">{t('custody.colGranted')}</th>
          </tr>
        </thead>
        <tbody>
          {holders.map((h) => (
            <tr key={h.userId} data-holder={h.username}>
              <td>
                <strong>{h.username}</strong> <span class="muted">{t(`role.${h.role}`)}</span>
                {h.status === 'disabled' && <span class="badge badge-overdue">{t('custody.disabled')}</span>}
                {h.stale && <span class="badge badge-overdue">{t('custody.stale')}</span>}
              </td>
              <td class="code fingerprint">{h.fingerprint}</td>
              <td>{t('custody.grantedBy', { name: h.grantedBy ?? '—', at: formatDateTime(h.grantedAt) })}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
