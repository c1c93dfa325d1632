/**
 * The admins' users page: every account (role, organisation, status), the invitations still
 * pending (resend: a new link, the old one void; revoke), a new invitation, disable and enable
 * (the API's guardrails come back as reasons in words: never one's own account, the last active
 * admin, the last holder of the mechanism key), and the start of a second-factor reset. No case
 * content is ever on this page.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { account } from '../session.js';
import { useCommand } from '../ui/command-form.js';
import { InviteFields } from '../ui/invite-fields.js';
import { Problem } from '../ui/problem.js';
import { ReasonForm } from '../ui/reason-form.js';
import { ShownOnce } from './shown-once.js';

type User = ResponseOf<'listUsers'>['items'][number];
type Invitation = ResponseOf<'listInvitations'>['items'][number];
type Org = ResponseOf<'listOrgs'>['items'][number];
type Role = User['role'];
const ROLES: readonly Role[] = ['officer', 'supervisor', 'partner', 'admin'];

type Pending = { kind: 'disable' | 'enable' | 'totp'; user: User };
type Secret = { title: string; intro: string; value: string };

function titleOf({ kind, user }: Pending): string {
  if (kind === 'disable') return t('admin.users.disableTitle', { username: user.username });
  if (kind === 'enable') return t('admin.users.enableTitle', { username: user.username });
  return t('admin.users.totpTitle', { username: user.username });
}

export function Users() {
  const me = account.value;
  const [users, setUsers] = useState<User[] | null>(null);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [orgs, setOrgs] = useState<Org[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [secret, setSecret] = useState<Secret | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const inv = useCommand();

  const load = async () => {
    try {
      const [u, i, o] = await Promise.all([call('listUsers', { query: { limit: '200' } }), call('listInvitations', {}), call('listOrgs')]);
      setUsers(u.items);
      setInvitations(i.items);
      setOrgs(o.items);
    } catch (err) {
      setLoadError(codeOf(err));
    }
  };
  useEffect(() => void load(), []);

  const orgName = (id: string) => orgs.find((o) => o.id === id)?.name ?? id;
  const linkOf = (token: string) => `${location.origin}/console/invitation#${token}`;

  const resend = (i: Invitation) =>
    inv.run(async () => {
      const r = await call('resendInvitation', { params: { invitationId: i.id } });
      setSecret({ title: t('admin.users.linkTitle', { username: r.username }), intro: t('admin.users.resentIntro', { expiresAt: formatDateTime(r.expiresAt) }), value: linkOf(r.token) });
      await load();
    });
  const revoke = (i: Invitation) =>
    inv.run(async () => {
      await call('revokeInvitation', { params: { invitationId: i.id } });
      setDone(t('admin.users.revoked', { username: i.username }));
      await load();
    });

  const act = async ({ kind, user }: Pending, reason: string) => {
    if (kind === 'disable') {
      await call('disableUser', { params: { userId: user.id }, body: { reason } });
      setDone(t('admin.users.disabledDone', { username: user.username }));
    } else if (kind === 'enable') {
      await call('enableUser', { params: { userId: user.id }, body: { reason } });
      setDone(t('admin.users.enabledDone', { username: user.username }));
    } else {
      const r = await call('startTotpReset', { params: { userId: user.id }, body: { reason } });
      setSecret({ title: t('admin.users.totpTitle', { username: user.username }), intro: t('admin.users.totpIntro', { expiresAt: formatDateTime(r.expiresAt) }), value: r.token });
    }
    setPending(null);
    await load();
  };

  const open = (p: Pending) => {
    setDone(null);
    setPending(p);
  };

  return (
    <div class="stack">
      <h1>{t('admin.users.title')}</h1>
      <p>{t('admin.users.intro')}</p>
      <Problem code={loadError} />
      {done && (
        <p class="alert alert-ok" role="status">
          {done}
        </p>
      )}
      {secret && <ShownOnce {...secret} onDone={() => setSecret(null)} />}
      {pending && (
        <ReasonForm
          key={`${pending.kind}-${pending.user.id}`}
          title={titleOf(pending)}
          confirm={pending.kind === 'disable' ? t('admin.users.disable') : pending.kind === 'enable' ? t('admin.users.enable') : t('admin.users.totp')}
          label={t('admin.reason')}
          hint={t('admin.reasonHint')}
          maxLength={500}
          send={(reason) => act(pending, reason)}
          onCancel={() => setPending(null)}
        />
      )}

      <section aria-labelledby="users-list-title">
        <h2 id="users-list-title">{t('admin.users.accounts')}</h2>
        {users && (
          <table class="queue">
            <AccountHead column={t('admin.users.status')} />
            <tbody>
              {users.map((u) => (
                <tr key={u.id} data-user={u.username}>
                  <AccountCells username={u.username} role={u.role} org={orgName(u.orgId)}>
                    {u.id === me?.id && <span class="muted"> {t('admin.users.you')}</span>}
                  </AccountCells>
                  <td data-label={t('admin.users.status')} data-status={u.status}>
                    {u.status === 'active' ? t('admin.users.active') : t('admin.users.disabledSince', { at: formatDateTime(u.disabledAt ?? u.createdAt) })}
                  </td>
                  <td data-label={t('admin.actions')}>
                    <span class="actions">
                      {u.status === 'active' ? (
                        <button type="button" onClick={() => open({ kind: 'disable', user: u })} aria-label={t('admin.users.disableTitle', { username: u.username })}>
                          {t('admin.users.disable')}
                        </button>
                      ) : (
                        <button type="button" onClick={() => open({ kind: 'enable', user: u })} aria-label={t('admin.users.enableTitle', { username: u.username })}>
                          {t('admin.users.enable')}
                        </button>
                      )}
                      {u.status === 'active' && u.id !== me?.id && (
                        <button type="button" onClick={() => open({ kind: 'totp', user: u })} aria-label={t('admin.users.totpTitle', { username: u.username })}>
                          {t('admin.users.totp')}
                        </button>
                      )}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="invitations-title">
        <h2 id="invitations-title">{t('admin.users.pending')}</h2>
        <Problem code={inv.error} />
        {invitations.length === 0 ? (
          <p class="muted">{t('admin.users.noPending')}</p>
        ) : (
          <table class="queue">
            <AccountHead column={t('admin.users.expires')} />
            <tbody>
              {invitations.map((i) => (
                <tr key={i.id} data-invitation={i.username}>
                  <AccountCells username={i.username} role={i.role} org={orgName(i.orgId)} />
                  <td data-label={t('admin.users.expires')}>{formatDateTime(i.expiresAt)}</td>
                  <td data-label={t('admin.actions')}>
                    <span class="actions">
                      <button type="button" disabled={inv.busy} onClick={() => void resend(i)} aria-label={t('admin.users.resendFor', { username: i.username })}>
                        {t('admin.users.resend')}
                      </button>
                      <button type="button" disabled={inv.busy} onClick={() => void revoke(i)} aria-label={t('admin.users.revokeFor', { username: i.username })}>
                        {t('admin.users.revoke')}
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <InviteForm orgs={orgs} onInvited={(r) => {
        setSecret({ title: t('admin.users.linkTitle', { username: r.username }), intro: t('invite.linkIntro', { expiresAt: formatDateTime(r.expiresAt) }), value: linkOf(r.token) });
        void load();
      }} />
    </div>
  );
}

/** The columns both tables share (who, their role, their organisation), the table's own, then the actions. */
function AccountHead({ column }: { column: string }) {
  return (
    <thead>
      <tr>
        <th scope="col">{t('signIn.username')}</th>
        <th scope="col">{t('account.role')}</th>
        <th scope="col">{t('admin.org')}</th>
        <th scope="col">{column}</th>
        <th scope="col">{t('admin.actions')}</th>
      </tr>
    </thead>
  );
}

/** Who a row is about: the username heads the row (`children` follow it), then the role and the organisation. */
function AccountCells({ username, role, org, children }: { username: string; role: Role; org: string; children?: ComponentChildren }) {
  return (
    <>
      <th scope="row">
        {username}
        {children}
      </th>
      <td data-label={t('account.role')}>{t(`role.${role}`)}</td>
      <td data-label={t('admin.org')}>{org}</td>
    </>
  );
}

function InviteForm({ orgs, onInvited }: { orgs: Org[]; onInvited: (r: ResponseOf<'inviteUser'>) => void }) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('officer');
  const [orgId, setOrgId] = useState('');
  const { busy, error, setError, run } = useCommand();
  const mechanism = orgs.find((o) => o.kind === 'mechanism');
  const partners = orgs.filter((o) => o.kind === 'partner' && o.disabledAt === null);
  const submit = (event: Event) => {
    event.preventDefault();
    const target = role === 'partner' ? orgId : mechanism?.id;
    if (!target) return setError(role === 'partner' ? 'invite_org_missing' : 'not_found');
    void run(async () => {
      onInvited(await call('inviteUser', { body: { username: username.trim(), role, orgId: target } }));
      setUsername('');
    });
  };
  return (
    <section class="card" aria-labelledby="invite-form-title">
      <h2 id="invite-form-title">{t('invite.title')}</h2>
      <p>{t('invite.intro')}</p>
      <Problem code={error} />
      <form onSubmit={submit} noValidate>
        <InviteFields<Role> idPrefix="users-invite" roles={ROLES} username={username} setUsername={setUsername} role={role} setRole={setRole} orgId={orgId} setOrgId={setOrgId} partners={partners} />
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {t('invite.submit')}
        </button>
      </form>
    </section>
  );
}
