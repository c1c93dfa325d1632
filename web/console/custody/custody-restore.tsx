/**
 * Restoring a holder from the split backup: k custodians' codes typed in; the crypto worker
 * rebuilds the private key, checks it is the mechanism's current key, answers the service's
 * challenge with it (the proof of possession) and seals it to the person's own key.
 */
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { account } from '../session.js';
import { useCommand } from '../ui/command-form.js';
import { Field } from '../ui/field.js';
import { CustodyStep } from './custody-step.js';
import type { CustodyView } from './custody-view.js';

export function CustodyRestore({ view, onDone }: { view: CustodyView; onDone: () => void }) {
  const k = view.policy.threshold;
  const [codes, setCodes] = useState<string[]>(() => Array.from({ length: k }, () => ''));
  const { busy, error, run } = useCommand();

  const restore = () => {
    void run(async () => {
      const start = await call('startCustodyRestore', { body: {} });
      const proof = await crypto({ op: 'custodyRestore', codes, keyId: start.keyId, challenge: start.challenge });
      await call('finishCustodyRestore', { body: { challengeId: start.challengeId, answer: proof.answer, entry: proof.entry } });
      setCodes(Array.from({ length: k }, () => ''));
      account.value = await call('getMe');
      onDone();
    });
  };

  return (
    <CustodyStep name="custody-restore" title={t('custody.restoreTitle')} intro={t('custody.restoreIntro', { k })} submit={t('custody.restoreSubmit')} busy={busy} error={error} blocked={codes.some((c) => c.trim() === '')} onSubmit={restore}>
      {codes.map((c, i) => (
        <Field key={i} label={t('custody.shareLabel', { n: i + 1 })} {...(i === 0 ? { hint: t('custody.shareHint') } : {})} value={c} onValue={(v) => setCodes(codes.map((x, j) => (j === i ? v : x)))} autocomplete="off" autocapitalize="off" spellcheck={false} required />
      ))}
    </CustodyStep>
  );
}
