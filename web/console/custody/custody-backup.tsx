/**
 * The offline split backup: the mechanism private key cut into n codes in the crypto worker (any
 * k rebuild it), one per named custodian, shown ONCE here to be printed (only the sheets go to the
 * printer) and handed over; the service records only that it was made. Leaving the screen or
 * pressing "done" forgets the codes.
 */
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { account } from '../session.js';
import { useCommand } from '../ui/command-form.js';
import { Field } from '../ui/field.js';
import { CustodyStep } from './custody-step.js';
import { keyringOf, type CustodyView } from './custody-view.js';

interface Made {
  codes: string[];
  custodians: string[];
  fingerprint: string;
}

export function CustodyBackup({ view, onDone }: { view: CustodyView; onDone: () => void }) {
  const { threshold, shares } = view.policy;
  const [names, setNames] = useState<string[]>(() => Array.from({ length: shares }, () => ''));
  const [made, setMade] = useState<Made | null>(null);
  const { busy, error, setError, run } = useCommand();
  const key = view.key;
  if (!key) return null;

  const setName = (i: number, value: string) => setNames(names.map((n, j) => (j === i ? value : n)));

  const make = () => {
    const custodians = names.map((n) => n.trim());
    if (custodians.some((n) => n === '') || new Set(custodians).size !== custodians.length) {
      setError('custody_names');
      return;
    }
    void run(async () => {
      const split = await crypto({ op: 'custodySplit', keyId: key.keyId, keyring: keyringOf(account.value), threshold, shares });
      await call('recordCustodyBackup', { body: { keyId: split.keyId, threshold, shares, custodians } });
      setMade({ codes: split.codes, custodians, fingerprint: key.fingerprint });
      setNames(Array.from({ length: shares }, () => ''));
      onDone();
    });
  };

  if (made) {
    return (
      <section aria-labelledby="custody-backup-title" class="card">
        <h2 id="custody-backup-title">{t('custody.backupTitle')}</h2>
        <p class="alert alert-warn">
          <strong>{t('custody.sharesOnce')}</strong>
        </p>
        <ol class="print-target share-sheets">
          {made.codes.map((code, i) => (
            <li class="share-sheet" key={i} data-custodian={made.custodians[i]}>
              <p class="print-only share-sheet-title">{t('custody.sheetTitle')}</p>
              <p>{t('custody.sheetFor', { name: made.custodians[i] ?? '', n: i + 1, total: made.codes.length })}</p>
              <p class="share-code code" data-share-code>
                {code}
              </p>
              <p>{t('custody.sheetKey', { fingerprint: made.fingerprint })}</p>
              <p>{t('custody.sheetHow', { k: threshold, n: made.codes.length })}</p>
            </li>
          ))}
        </ol>
        <p class="actions">
          <button type="button" onClick={() => window.print()}>
            {t('custody.print')}
          </button>
          <button type="button" class="primary" onClick={() => setMade(null)}>
            {t('custody.sharesDone')}
          </button>
        </p>
      </section>
    );
  }

  return (
    <CustodyStep name="custody-backup" title={t('custody.backupTitle')} intro={t('custody.backupIntro', { k: threshold, n: shares })} submit={t('custody.backupSubmit')} busy={busy} error={error} onSubmit={make}>
      {names.map((n, i) => (
        <Field key={i} label={t('custody.custodian', { n: i + 1 })} value={n} onValue={(v) => setName(i, v)} maxLength={64} autocomplete="off" required />
      ))}
    </CustodyStep>
  );
}
