/**
 * Choosing the colleague a case key is sealed to: no route lets an officer or a supervisor list
 * accounts, so the person's account id is typed; their public key comes from getUserPublicKey and
 * its fingerprint is shown, to compare with the person before anything is sealed to it. The key is
 * pinned at first use: one other than the pinned one is chosen only once the person confirms they
 * checked its new fingerprint with its holder.
 */
import { useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { KeyTrust } from '../keys/key-trust.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';

export type ColleagueKey = ResponseOf<'getUserPublicKey'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function ColleagueKeyPicker({ onChosen }: { chosen: ColleagueKey | null; onChosen: (key: ColleagueKey | null) => void }) {
  const [userId, setUserId] = useState('');
  const [found, setFound] = useState<ColleagueKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const lookUp = async () => {
    setError(null);
    setFound(null);
    onChosen(null);
    const id = userId.trim();
    if (!UUID.test(id)) {
      setError('validation_failed');
      return;
    }
    setBusy(true);
    try {
      setFound(await call('getUserPublicKey', { params: { userId: id } }));
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="colleague-key">
      <Field label={t('actions.userId')} hint={t('actions.userIdHint')} value={userId} onValue={(v) => { setUserId(v); setFound(null); onChosen(null); }} autocapitalize="none" spellcheck={false} maxLength={36} />
      <button type="button" onClick={() => void lookUp()} disabled={busy} aria-busy={busy}>
        {t('actions.fetchKey')}
      </button>
      <Problem code={error} />
      {found && <KeyTrust subject={`user:${found.userId}`} keyId={found.keyId} fingerprint={found.fingerprint} onTrusted={(trusted) => onChosen(trusted ? found : null)} />}
    </div>
  );
}
