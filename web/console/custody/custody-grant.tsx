/**
 * A holder grants the mechanism key with every previous mechanism key they hold, and the search
 * key when they hold it, to another member of staff: picked by name, their public key fetched and its fingerprint shown (to compare with the
 * person out of band) before anything is sealed to it in the crypto worker.
 */
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { ColleagueKeyPicker, type ColleagueKey } from '../case/colleague-key.js';
import { crypto } from '../crypto-client.js';
import { heldRetiredKeyIds } from '../keys/retired-keys.js';
import { t } from '../i18n.js';
import { openSearchKey } from '../search/search-key.js';
import { account } from '../session.js';
import { useCommand } from '../ui/command-form.js';
import { CustodyStep } from './custody-step.js';
import { keyringOf, type CustodyView } from './custody-view.js';

export function CustodyGrant({ view, onDone }: { view: CustodyView; onDone: () => void }) {
  const [chosen, setChosen] = useState<ColleagueKey | null>(null);
  const [picker, setPicker] = useState(0);
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, run } = useCommand();
  const key = view.key;
  if (!key) return null;

  const grant = () => {
    const to = chosen;
    if (!to) return;
    void run(async () => {
      const holdsSearch = view.searchHolders.some((h) => h.userId === account.value?.id && !h.stale);
      const search = holdsSearch ? await openSearchKey() : null;
      const retiredKeyIds = heldRetiredKeyIds(account.value, view.orgId);
      const sealed = await crypto({ op: 'custodyGrant', publicKey: to.publicKey, keyId: to.keyId, mechanismKeyId: key.keyId, retiredKeyIds, keyring: keyringOf(account.value) });
      // The previous keys go with the current one, in the same command: the new holder opens older cases too.
      await call('addOrgKeyringEntry', { params: { orgId: view.orgId }, body: { userId: to.userId, entry: sealed.entry, retired: sealed.retired } });
      if (sealed.searchEntry) await call('grantSearchKey', { body: { userId: to.userId, entry: sealed.searchEntry, ...(search ? { generation: search.generation } : {}) } });
      setDone(sealed.searchEntry ? t('custody.grantedBoth', { fingerprint: to.fingerprint }) : t('custody.grantedMechanism', { fingerprint: to.fingerprint }));
      setChosen(null);
      setPicker((n) => n + 1);
      onDone();
    });
  };

  return (
    <CustodyStep name="custody-grant" title={t('custody.grantTitle')} intro={t('custody.grantIntro')} submit={t('custody.grantSubmit')} busy={busy} error={error} blocked={!chosen} done={done} onSubmit={grant}>
      <ColleagueKeyPicker key={picker} chosen={chosen} onChosen={setChosen} />
    </CustodyStep>
  );
}
