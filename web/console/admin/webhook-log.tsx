/** One webhook's delivery log (newest first, a page at a time), a test event, and the re-delivery of a failed delivery. */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { useCommand } from '../ui/command-form.js';
import { Problem } from '../ui/problem.js';

type Hook = ResponseOf<'listWebhooks'>['items'][number];
type Delivery = ResponseOf<'listWebhookDeliveries'>['items'][number];
const PAGE = '20';

export function WebhookLog({ orgId, hook }: { orgId: string; hook: Hook }) {
  const [items, setItems] = useState<Delivery[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const cmd = useCommand();

  const load = async (before?: string) => {
    try {
      const r = await call('listWebhookDeliveries', { params: { orgId, id: hook.id }, query: { limit: PAGE, ...(before ? { before } : {}) } });
      setItems((old) => (before ? [...old, ...r.items] : r.items));
      setNext(r.next);
    } catch (err) {
      setLoadError(codeOf(err));
    }
  };
  useEffect(() => void load(), [hook.id]);

  const test = () =>
    void cmd.run(async () => {
      await call('pingWebhook', { params: { orgId, id: hook.id } });
      setNote(t('admin.hooks.testSent'));
    });
  const redeliver = (d: Delivery) =>
    void cmd.run(async () => {
      await call('redeliverWebhookDelivery', { params: { orgId, id: hook.id, deliveryId: d.id } });
      setNote(t('admin.hooks.redelivered'));
      await load();
    });

  return (
    <div class="stack" data-delivery-log>
      <p class="actions">
        {!hook.disabledAt && (
          <button type="button" disabled={cmd.busy} onClick={test}>
            {t('admin.hooks.test')}
          </button>
        )}
        <button type="button" onClick={() => void load()}>
          {t('admin.hooks.refresh')}
        </button>
      </p>
      {note && (
        <p class="alert alert-ok" role="status">
          {note}
        </p>
      )}
      <Problem code={cmd.error ?? loadError} />
      {items.length === 0 ? (
        <p class="muted">{t('admin.hooks.noDeliveries')}</p>
      ) : (
        <table class="queue">
          <caption class="visually-hidden">{t('admin.hooks.logOf', { origin: hook.origin })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('admin.hooks.at')}</th>
              <th scope="col">{t('admin.hooks.topic')}</th>
              <th scope="col">{t('admin.hooks.status')}</th>
              <th scope="col">{t('admin.hooks.attempts')}</th>
              <th scope="col">{t('admin.hooks.lastError')}</th>
              <th scope="col">{t('admin.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id} data-delivery={d.status}>
                <td data-label={t('admin.hooks.at')}>{formatDateTime(d.createdAt)}</td>
                <td data-label={t('admin.hooks.topic')} class="code">
                  {d.topic}
                </td>
                <td data-label={t('admin.hooks.status')}>{t(`admin.hooks.state.${d.status}`)}</td>
                <td data-label={t('admin.hooks.attempts')}>{d.round > 0 ? t('admin.hooks.attemptsRound', { n: d.attempts, round: d.round }) : String(d.attempts)}</td>
                <td data-label={t('admin.hooks.lastError')}>{d.lastError ?? (d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : '—')}</td>
                <td data-label={t('admin.actions')}>
                  {d.status === 'failed' && !hook.disabledAt && (
                    <button type="button" disabled={cmd.busy} onClick={() => redeliver(d)}>
                      {t('admin.hooks.redeliver')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" onClick={() => void load(next)}>
          {t('admin.hooks.more')}
        </button>
      )}
    </div>
  );
}
