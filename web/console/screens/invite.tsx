/**
 * An admin invites a colleague: username, role (and the partner organisation for a partner).
 * The link carries the one-time token in its fragment; the admin hands it over out of band.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { account } from '../session.js';
import { InviteFields } from '../ui/invite-fields.js';
import { Problem } from '../ui/problem.js';
import { useCopy } from '../ui/use-copy.js';

type Role = 'officer' | 'supervisor' | 'partner';
const ROLES: readonly Role[] = ['officer', 'supervisor', 'partner'];
type Org = ResponseOf<'listOrgs'>['items'][number];

export function Invite() {
  const me = account.value;
  const [orgs, setOrgs] = useState<Org[]>([]);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('officer');
  const [orgId, setOrgId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [made, setMade] = useState<{ link: string; username: string; expiresAt: string } | null>(null);
  const { copied, copy, reset } = useCopy();

  useEffect(() => {
    if (me?.role !== 'admin') return;
    call('listOrgs').then(
      (r) => setOrgs(r.items.filter((o) => o.disabledAt === null)),
      (err: unknown) => setError(codeOf(err)),
    );
  }, [me?.role]);

  if (me?.role !== 'admin') return <Problem code="forbidden" />;
  const mechanism = orgs.find((o) => o.kind === 'mechanism');
  const partners = orgs.filter((o) => o.kind === 'partner');

  const submit = async (event: Event) => {
    event.preventDefault();
    const target = role === 'partner' ? orgId : mechanism?.id;
    if (!target) {
      setError(role === 'partner' ? 'invite_org_missing' : 'not_found');
      return;
    }
    setBusy(true);
    setError(null);
    reset();
    try {
      const inv = await call('inviteUser', { body: { username: username.trim(), role, orgId: target } });
      setMade({ link: `${location.origin}/console/invitation#${inv.token}`, username: inv.username, expiresAt: inv.expiresAt });
      setUsername('');
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="stack">
      <section class="card" aria-labelledby="invite-title">
        <h1 id="invite-title">{t('invite.title')}</h1>
        <p>{t('invite.intro')}</p>
        <Problem code={error} />
        <form onSubmit={submit} noValidate>
          <InviteFields<Role> idPrefix="invite" roles={ROLES} username={username} setUsername={setUsername} role={role} setRole={setRole} orgId={orgId} setOrgId={setOrgId} partners={partners} />
          <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
            {t('invite.submit')}
          </button>
        </form>
      </section>
      {made && (
        <section class="card" aria-labelledby="invite-link-title">
          <h2 id="invite-link-title">{t('invite.linkTitle', { username: made.username })}</h2>
          <p>{t('invite.linkIntro', { expiresAt: formatDateTime(made.expiresAt) })}</p>
          <p class="code" data-invitation-link>
            {made.link}
          </p>
          <button type="button" onClick={() => void copy(made.link)}>
            {t('invite.copy')}
          </button>
          <Problem code={copied === false ? 'copy_failed' : null} />
          {copied && (
            <p class="alert alert-ok" role="status">
              {t('invite.copied')}
            </p>
          )}
        </section>
      )}
    </div>
  );
}
