/**
 * A partner organisation's keyring: who holds its current key (and the retired ones), a holder
 * granting it, with the retired keys they hold, to a colleague of the organisation (picked by name, their public key's fingerprint
 * shown and pinned before anything is sealed to it, the entry sealed in the worker), and a
 * holder rotating it (a new key pair made in the worker and sealed to every current holder).
 * Removing someone's entry is the administrator's (policies/access.yaml): the screen says so.
 * The mechanism's own keyring is a supervisor's, on the custody screen.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { KeyTrust } from '../keys/key-trust.js';
import { heldRetiredKeyIds } from '../keys/retired-keys.js';
import { fingerprintOf } from '../keys/pinned-keys.js';
import { crypto } from '../crypto-client.js';
import { formatDateTime, t } from '../i18n.js';
import { account } from '../session.js';
import { FormButtons, useCommand } from '../ui/command-form.js';
import { Problem } from '../ui/problem.js';
import { keyringOfAccount } from './partner-packet.js';

type Holder = ResponseOf<'listOrgKeyring'>['items'][number];
type Member = ResponseOf<'listStaffDirectory'>['items'][number];
type PublicKeyOf = ResponseOf<'getUserPublicKey'>;

export function OrgKeyring() {
  const me = account.value;
  if (me?.role !== 'partner') {
    return (
      <section aria-labelledby="keyring-title">
        <h1 id="keyring-title">{t('partner.keyring.title')}</h1>
        <p>
          {t('partner.keyring.mechanism')} <a href="/console/custody">{t('partner.keyring.custody')}</a>
        </p>
      </section>
    );
  }
  return <PartnerKeyring orgId={me.orgId} />;
}

function PartnerKeyring({ orgId }: { orgId: string }) {
  const [holders, setHolders] = useState<Holder[] | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [open, setOpen] = useState<'grant' | 'rotate' | null>(null);

  const reload = () => {
    call('listOrgKeyring', { params: { orgId } }).then((r) => setHolders(r.items), (err: unknown) => setError(codeOf(err)));
    call('listStaffDirectory').then((r) => setMembers(r.items), (err: unknown) => setError(codeOf(err)));
  };
  useEffect(reload, [orgId]);

  const current = (holders ?? []).filter((h) => h.current);
  const orgKeyId = current[0]?.orgKeyId ?? null;
  const meId = account.value?.id ?? '';
  // The account's own entry for the current key (getMe's keyring): a holder may grant and rotate.
  const holder = orgKeyId !== null && (account.value?.keyring ?? []).some((k) => k.orgKeyId === orgKeyId);
  const without = members.filter((m) => !current.some((h) => h.userId === m.userId && !h.stale));

  const done = async (words: string) => {
    setOpen(null);
    setMessage(words);
    // The keyring of the account changed (a rotation): the worker opens the new entry from getMe's.
    account.value = await call('getMe');
    reload();
  };

  return (
    <section aria-labelledby="keyring-title" class="org-keyring">
      <h1 id="keyring-title">{t('partner.keyring.title')}</h1>
      <p>{t('partner.keyring.intro')}</p>
      <p role="status" class="notice">
        {message ?? ''}
      </p>
      <Problem code={error} />
      {!holders && !error && <p aria-busy="true">{t('case.loading')}</p>}
      {holders && (
        <>
          <h2>{t('partner.keyring.holders')}</h2>
          {orgKeyId && <p class="fingerprint">{t('partner.keyring.currentKey', { fingerprint: fingerprintOf(orgKeyId) })}</p>}
          <ul class="keyring-holders">
            {current.map((h) => (
              <li key={h.userId} data-user={h.userId}>
                <strong>{h.username}</strong> · {h.status === 'active' ? t('partner.keyring.since', { at: formatDateTime(h.createdAt) }) : t('partner.keyring.disabled')}
                {h.stale && ` · ${t('partner.keyring.stale')}`}
              </li>
            ))}
          </ul>
          {holders.some((h) => !h.current) && (
            <p class="hint">{t('partner.keyring.retired', { count: new Set(holders.filter((h) => !h.current).map((h) => h.orgKeyId)).size })}</p>
          )}
        </>
      )}
      {holders && !holder && <p class="hint">{t('partner.keyring.notHolder')}</p>}
      {holder && (
        <ul class="actions action-list">
          <li>
            <button type="button" aria-expanded={open === 'grant'} onClick={() => setOpen(open === 'grant' ? null : 'grant')}>
              {t('partner.keyring.grant')}
            </button>
          </li>
          <li>
            <button type="button" aria-expanded={open === 'rotate'} onClick={() => setOpen(open === 'rotate' ? null : 'rotate')}>
              {t('partner.keyring.rotate')}
            </button>
          </li>
        </ul>
      )}
      {open === 'grant' && orgKeyId && <GrantForm orgId={orgId} orgKeyId={orgKeyId} members={without.filter((m) => m.userId !== meId)} onDone={(m) => void done(m)} onCancel={() => setOpen(null)} />}
      {open === 'rotate' && <RotateForm orgId={orgId} holders={current.filter((h) => h.status === 'active' && h.userId !== meId)} onDone={(m) => void done(m)} onCancel={() => setOpen(null)} />}
      <h2>{t('partner.keyring.removeTitle')}</h2>
      <p>{t('partner.keyring.remove')}</p>
    </section>
  );
}

function GrantForm({ orgId, orgKeyId, members, onDone, onCancel }: { orgId: string; orgKeyId: string; members: Member[]; onDone: (m: string) => void; onCancel: () => void }) {
  const id = useId();
  const [userId, setUserId] = useState('');
  const [found, setFound] = useState<PublicKeyOf | null>(null);
  const [trusted, setTrusted] = useState(false);
  const { busy, error, setError, run } = useCommand();

  const choose = async (next: string) => {
    setUserId(next);
    setFound(null);
    setTrusted(false);
    if (next) await run(async () => setFound(await call('getUserPublicKey', { params: { userId: next } })));
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!found) return setError('member_required');
    if (!trusted) return setError('key_not_confirmed');
    await run(async () => {
      const sealed = await crypto({ op: 'sealOrgKeyringEntry', orgKeyId, retiredKeyIds: heldRetiredKeyIds(account.value, orgId), keyring: keyringOfAccount(), publicKey: found.publicKey, keyId: found.keyId });
      // The retired keys go with the current one, in the same command: the colleague opens older referrals too.
      await call('addOrgKeyringEntry', { params: { orgId }, body: { userId: found.userId, entry: sealed.entry, retired: sealed.retired } });
      onDone(t('partner.keyring.granted', { name: members.find((m) => m.userId === found.userId)?.username ?? '' }));
    });
  };

  return (
    <form class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h2 id={`${id}-title`}>{t('partner.keyring.grant')}</h2>
      {members.length === 0 ? (
        <p>{t('partner.keyring.nobody')}</p>
      ) : (
        <div class="field">
          <label for={`${id}-member`}>{t('partner.keyring.member')}</label>
          <select id={`${id}-member`} value={userId} onChange={(e) => void choose(e.currentTarget.value)}>
            <option value="">{t('partner.keyring.choose')}</option>
            {members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.username}
              </option>
            ))}
          </select>
        </div>
      )}
      {found && <KeyTrust subject={`user:${found.userId}`} keyId={found.keyId} fingerprint={found.fingerprint} onTrusted={setTrusted} />}
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('partner.keyring.grantConfirm')} onCancel={onCancel} />
    </form>
  );
}

function RotateForm({ orgId, holders, onDone, onCancel }: { orgId: string; holders: Holder[]; onDone: (m: string) => void; onCancel: () => void }) {
  const id = useId();
  const { busy, error, run } = useCommand();
  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      // Each holder's key as the API gives it now (the worker checks it against its keyId).
      const keys = await Promise.all(holders.map((h) => call('getUserPublicKey', { params: { userId: h.userId } })));
      const made = await crypto({ op: 'makeOrgKey', selfId: account.value?.id ?? '', members: keys.map((k) => ({ userId: k.userId, publicKey: k.publicKey, keyId: k.keyId })) });
      await call('createOrgKey', { params: { orgId }, body: { publicKey: made.publicKey, keyId: made.keyId, entries: made.entries } });
      onDone(t('partner.keyring.rotated'));
    });
  };
  return (
    <form class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h2 id={`${id}-title`}>{t('partner.keyring.rotate')}</h2>
      <p>{t('partner.keyring.rotateHint', { count: holders.length + 1 })}</p>
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('partner.keyring.rotateConfirm')} onCancel={onCancel} />
    </form>
  );
}
