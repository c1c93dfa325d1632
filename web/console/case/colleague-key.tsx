/**
 * Choosing the colleague a case key is sealed to: picked by name from the mechanism's active
 * staff (listStaffDirectory); their public key then comes from getUserPublicKey and its
 * fingerprint is shown, to compare with the person before anything is sealed to it. The key is
 * pinned at first use: one other than the pinned one is chosen only once the person confirms they
 * checked its new fingerprint with its holder.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { KeyTrust } from '../keys/key-trust.js';
import { account } from '../session.js';
import { Problem } from '../ui/problem.js';
import { useCommand } from '../ui/command-form.js';

export type ColleagueKey = ResponseOf<'getUserPublicKey'>;
type StaffMember = ResponseOf<'listStaffDirectory'>['items'][number];

export function ColleagueKeyPicker({ onChosen }: { chosen: ColleagueKey | null; onChosen: (key: ColleagueKey | null) => void }) {
  const id = useId();
  const [staff, setStaff] = useState<StaffMember[] | null>(null);
  const [userId, setUserId] = useState('');
  const [found, setFound] = useState<ColleagueKey | null>(null);
  const { busy, error, setError, run } = useCommand();

  useEffect(() => {
    // Nobody seals a case key to themself: the list leaves the reader out.
    call('listStaffDirectory').then((r) => setStaff(r.items.filter((m) => m.userId !== account.value?.id)), (err: unknown) => setError(codeOf(err)));
  }, []);

  const choose = async (next: string) => {
    setUserId(next);
    setError(null);
    setFound(null);
    onChosen(null);
    if (!next) return;
    await run(async () => {
      setFound(await call('getUserPublicKey', { params: { userId: next } }));
    });
  };

  return (
    <div class="colleague-key">
      <div class="field">
        <label for={id}>{t('actions.colleague')}</label>
        <p class="hint" id={`${id}-hint`}>
          {t('actions.colleagueHint')}
        </p>
        <select id={id} value={userId} aria-describedby={`${id}-hint`} aria-busy={busy || staff === null} disabled={staff === null} onChange={(e) => void choose(e.currentTarget.value)}>
          <option value="">{staff === null ? t('actions.colleagueLoading') : t('actions.colleagueChoose')}</option>
          {(staff ?? []).map((m) => (
            <option key={m.userId} value={m.userId}>
              {t('actions.colleagueOption', { name: m.username, role: t(`role.${m.role}`) })}
            </option>
          ))}
        </select>
      </div>
      <Problem code={error} />
      {found && <KeyTrust subject={`user:${found.userId}`} keyId={found.keyId} fingerprint={found.fingerprint} onTrusted={(trusted) => onChosen(trusted ? found : null)} />}
    </div>
  );
}
