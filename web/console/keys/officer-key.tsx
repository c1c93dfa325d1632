/**
 * The key a case is handed over to, for a screen that already knows the officer (the board, a
 * departure): their public key from getUserPublicKey, checked by KeyTrust (pinned at first use,
 * a changed key blocked until its new fingerprint is confirmed). `onKey` has the key once it may be
 * sealed to, null when it may not (yet to be confirmed, or unreadable), undefined while it is read:
 * a screen waits rather than call a key that was not read yet a changed one.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { KeyTrust } from './key-trust.js';

export type OfficerKey = ResponseOf<'getUserPublicKey'>;

export function OfficerKeyCheck({ userId, name, onKey }: { userId: string; name: string; onKey: (key: OfficerKey | null | undefined) => void }) {
  const [key, setKey] = useState<OfficerKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setKey(null);
    setError(null);
    onKey(undefined);
    call('getUserPublicKey', { params: { userId } }).then(setKey, (err: unknown) => {
      setError(codeOf(err));
      onKey(null);
    });
  }, [userId]);
  return (
    <div class="officer-key" data-officer-key={userId}>
      <p class="hint">{t('oversight.keyOf', { name })}</p>
      {key ? <KeyTrust subject={`user:${userId}`} keyId={key.keyId} fingerprint={key.fingerprint} onTrusted={(trusted) => onKey(trusted ? key : null)} /> : !error && <p aria-busy="true">{t('case.loading')}</p>}
      <Problem code={error} />
    </div>
  );
}
