/**
 * The key a case is handed over to, for a screen that already knows the officer (the board, a
 * departure): their public key from getUserPublicKey, checked by KeyTrust (pinned at first use,
 * a changed key blocked until its new fingerprint is confirmed). `onKey` has the key once it may be
 * sealed to, null otherwise.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { KeyTrust } from './key-trust.js';

export type OfficerKey = ResponseOf<'getUserPublicKey'>;

export function OfficerKeyCheck({ userId, name, onKey }: { userId: string; name: string; onKey: (key: OfficerKey | null) => void }) {
  const [key, setKey] = useState<OfficerKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setKey(null);
    setError(null);
    onKey(null);
    call('getUserPublicKey', { params: { userId } }).then(setKey, (err: unknown) => setError(codeOf(err)));
  }, [userId]);
  return (
    <div class="officer-key" data-officer-key={userId}>
      <p class="hint">{t('oversight.keyOf', { name })}</p>
      {key ? <KeyTrust subject={`user:${userId}`} keyId={key.keyId} fingerprint={key.fingerprint} onTrusted={(trusted) => onKey(trusted ? key : null)} /> : !error && <p aria-busy="true">{t('case.loading')}</p>}
      <Problem code={error} />
    </div>
  );
}
