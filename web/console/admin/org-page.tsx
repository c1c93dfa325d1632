/**
 * One organisation, as an admin manages it: its members (accounts of the organisation), its
 * public keys and who holds them (removing a member's keyring entry, when a member leaves or a
 * partner asks), and, for a partner, its webhooks: register (the signing secret shown once),
 * disable, send a test event, and the delivery log with a re-delivery of a failed one.
 */
import { useRoute } from 'preact-iso/router';
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { useCommand } from '../ui/command-form.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';
import { ReasonForm } from '../ui/reason-form.js';
import { ShownOnce } from './shown-once.js';
import { WebhookLog } from './webhook-log.js';

type Org = ResponseOf<'listOrgs'>['items'][number];
type User = ResponseOf<'listUsers'>['items'][number];
type Holder = ResponseOf<'listOrgKeyring'>['items'][number];
type Key = ResponseOf<'listOrgKeys'>['keys'][number];
type Hook = ResponseOf<'listWebhooks'>['items'][number];

export function OrgPage() {
  const { params } = useRoute();
  const orgId = params.orgId ?? '';
  const [org, setOrg] = useState<Org | null>(null);
  const [members, setMembers] = useState<User[]>([]);
  const [keys, setKeys] = useState<Key[]>([]);
  const [holders, setHolders] = useState<Holder[]>([]);
  const [hooks, setHooks] = useState<Hook[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Holder | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [url, setUrl] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const hookCmd = useCommand();

  const load = async () => {
    try {
      const [o, u, k, h] = await Promise.all([call('listOrgs'), call('listUsers', { query: { limit: '200' } }), call('listOrgKeys', { params: { orgId } }), call('listOrgKeyring', { params: { orgId } })]);
      const found = o.items.find((x) => x.id === orgId) ?? null;
      setOrg(found);
      setMembers(u.items.filter((x) => x.orgId === orgId));
      setKeys(k.keys);
      setHolders(h.items);
      if (found?.kind === 'partner') setHooks((await call('listWebhooks', { params: { orgId } })).items);
    } catch (err) {
      setLoadError(codeOf(err));
    }
  };
  useEffect(() => void load(), [orgId]);

  const doRemove = async (who: Holder, reason: string) => {
    await call('removeOrgKeyringMember', { params: { orgId, userId: who.userId }, query: { reason } });
    setDone(t('admin.org.removed', { username: who.username }));
    setRemoving(null);
    await load();
  };

  const register = (event: Event) => {
    event.preventDefault();
    void hookCmd.run(async () => {
      const r = await call('createWebhook', { params: { orgId }, body: { url: url.trim() } });
      setSecret(r.secret);
      setUrl('');
      await load();
    });
  };
  const disable = (h: Hook) =>
    void hookCmd.run(async () => {
      await call('disableWebhook', { params: { orgId, id: h.id } });
      setDone(t('admin.hooks.disabled', { origin: h.origin }));
      await load();
    });

  // The page keeps its heading while it loads or when the organisation is not found.
  if (loadError || !org) {
    return (
      <div class="stack">
        <p>
          <a href="/console/orgs">{t('admin.orgs.back')}</a>
        </p>
        <h1>{t('admin.orgs.title')}</h1>
        {loadError ? <Problem code={loadError} /> : <p class="muted">{t('admin.loading')}</p>}
      </div>
    );
  }

  return (
    <div class="stack">
      <p>
        <a href="/console/orgs">{t('admin.orgs.back')}</a>
      </p>
      <h1>{org.name}</h1>
      <dl class="facts">
        <dt>{t('admin.orgs.category')}</dt>
        <dd>{t(`admin.orgs.kind.${org.category}`)}</dd>
        <dt>{t('admin.orgs.created')}</dt>
        <dd>{formatDateTime(org.createdAt)}</dd>
        <dt>{t('admin.org.currentKey')}</dt>
        <dd class="code">{org.currentKeyId ?? t('admin.org.noKey')}</dd>
      </dl>
      {done && (
        <p class="alert alert-ok" role="status">
          {done}
        </p>
      )}

      <section aria-labelledby="org-members-title">
        <h2 id="org-members-title">{t('admin.org.members')}</h2>
        {members.length === 0 ? (
          <p class="muted">{t('admin.org.noMembers')}</p>
        ) : (
          <ul class="results">
            {members.map((m) => (
              <li key={m.id}>
                <strong>{m.username}</strong> <span>{t(`role.${m.role}`)}</span> <span class="muted">{m.status === 'active' ? t('admin.users.active') : t('admin.users.disabled')}</span>
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href="/console/users">{t('admin.org.manageUsers')}</a>
        </p>
      </section>

      <section aria-labelledby="org-keys-title">
        <h2 id="org-keys-title">{t('admin.org.keys')}</h2>
        {keys.length === 0 && <p class="muted">{t('admin.org.noKey')}</p>}
        <ul class="results">
          {keys.map((k) => (
            <li key={k.keyId}>
              <span class="code">{k.keyId}</span> <span>{k.current ? t('admin.org.keyCurrent') : t('admin.org.keyRetired', { at: formatDateTime(k.retiredAt ?? k.createdAt) })}</span>
            </li>
          ))}
        </ul>
        <h3>{t('admin.org.holders')}</h3>
        {org.kind === 'mechanism' && (
          <p>
            <a href="/console/custody">{t('admin.org.custodyLink')}</a>
          </p>
        )}
        {holders.length === 0 ? (
          <p class="muted">{t('admin.org.noHolders')}</p>
        ) : (
          <table class="queue">
            <thead>
              <tr>
                <th scope="col">{t('signIn.username')}</th>
                <th scope="col">{t('admin.org.entryKey')}</th>
                <th scope="col">{t('admin.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {holders.map((h) => (
                <tr key={`${h.userId}-${h.orgKeyId}`}>
                  <th scope="row">
                    {h.username} <span class="muted">{h.status === 'active' ? '' : t('admin.users.disabled')}</span>
                  </th>
                  <td data-label={t('admin.org.entryKey')}>
                    <span class="code">{h.orgKeyId}</span> {h.current ? t('admin.org.keyCurrent') : ''} {h.stale ? t('admin.org.stale') : ''}
                  </td>
                  <td data-label={t('admin.actions')}>
                    <button type="button" onClick={() => setRemoving(h)} aria-label={t('admin.org.removeTitle', { username: h.username })}>
                      {t('admin.org.remove')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {removing && (
          <ReasonForm
            key={removing.userId}
            title={t('admin.org.removeTitle', { username: removing.username })}
            confirm={t('admin.org.remove')}
            label={t('admin.reason')}
            hint={t('admin.reasonHint')}
            maxLength={500}
            send={(reason) => doRemove(removing, reason)}
            onCancel={() => setRemoving(null)}
          />
        )}
      </section>

      {org.kind === 'partner' && (
        <section aria-labelledby="org-hooks-title">
          <h2 id="org-hooks-title">{t('admin.hooks.title')}</h2>
          <p>{t('admin.hooks.intro')}</p>
          <Problem code={hookCmd.error} />
          {secret && <ShownOnce title={t('admin.hooks.secretTitle')} intro={t('admin.hooks.secretIntro')} value={secret} onDone={() => setSecret(null)} />}
          {hooks.length === 0 ? (
            <p class="muted">{t('admin.hooks.none')}</p>
          ) : (
            <ul class="notes">
              {hooks.map((h) => (
                <li key={h.id} class="card" data-webhook={h.origin}>
                  <p>
                    <strong class="code">{h.origin}</strong> <span>{h.disabledAt ? t('admin.hooks.disabledSince', { at: formatDateTime(h.disabledAt) }) : t('admin.hooks.active')}</span>
                  </p>
                  <p class="actions">
                    <button type="button" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? null : h.id)}>
                      {t('admin.hooks.log')}
                    </button>
                    {!h.disabledAt && (
                      <button type="button" disabled={hookCmd.busy} onClick={() => disable(h)}>
                        {t('admin.hooks.disable')}
                      </button>
                    )}
                  </p>
                  {open === h.id && <WebhookLog orgId={orgId} hook={h} />}
                </li>
              ))}
            </ul>
          )}
          <form class="card" onSubmit={register} noValidate aria-labelledby="hook-new-title">
            <h3 id="hook-new-title">{t('admin.hooks.new')}</h3>
            <Field label={t('admin.hooks.url')} hint={t('admin.hooks.urlHint')} value={url} onValue={setUrl} maxLength={2000} autocapitalize="none" spellcheck={false} required />
            <button type="submit" class="primary" disabled={hookCmd.busy} aria-busy={hookCmd.busy}>
              {t('admin.hooks.register')}
            </button>
          </form>
        </section>
      )}
    </div>
  );
}
