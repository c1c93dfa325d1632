/**
 * A new receipt for a defender whose receipt was lost or taken (shown when getCaseActions allows
 * reissue_receipt): the cause chosen, the worker re-seals the case under a new key with the
 * defender's envelope at a new receipt's key (SDK prepareReceiptReissue), the API swaps them and
 * ends the old receipt's sessions. The new receipt is shown once, to hand over or print; the old
 * one opens nothing any more.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { RekeyBundle } from '../../../src/sdk/index.js';
import { call, codeOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { account } from '../session.js';
import { SelectField } from '../ui/choices.js';
import { PrintedReceipt } from '../ui/printed-receipt.js';
import { Problem } from '../ui/problem.js';
import type { Actions } from './case-actions.js';
import { FormButtons } from '../ui/command-form.js';

type Cause = 'lost' | 'seized' | 'disclosed' | 'other';
const CAUSES: readonly Cause[] = ['lost', 'seized', 'disclosed', 'other'];
const causeLabel = (c: Cause): string => (c === 'lost' ? t('reissue.cause.lost') : c === 'seized' ? t('reissue.cause.seized') : c === 'disclosed' ? t('reissue.cause.disclosed') : t('reissue.cause.other'));

export function ReceiptReissue({ caseId, reference, actions, onChanged }: { caseId: string; reference: string; actions: Actions | null; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [issued, setIssued] = useState<string | null>(null);

  useEffect(() => {
    setOpen(false);
    setIssued(null);
  }, [caseId]);
  const allowed = actions?.commands.some((c) => c.command === 'reissue_receipt' && c.allowed) ?? false;

  if (issued) {
    return (
      <section class="card" aria-labelledby="reissue-done">
        <h2 id="reissue-done">{t('reissue.doneTitle')}</h2>
        <p role="status">{t('reissue.done')}</p>
        <PrintedReceipt receipt={issued} reference={reference} />
        <p class="actions">
          <button type="button" onClick={() => setIssued(null)}>
            {t('reissue.handedOver')}
          </button>
        </p>
      </section>
    );
  }
  if (!allowed) return null;
  return (
    <section class="card" aria-labelledby="reissue-title">
      <h2 id="reissue-title">{t('reissue.title')}</h2>
      <p class="hint">{t('reissue.intro')}</p>
      {open ? (
        <ReissueForm
          caseId={caseId}
          onIssued={(receipt) => {
            setOpen(false);
            setIssued(receipt);
            onChanged();
          }}
          onFailed={onChanged}
          onCancel={() => setOpen(false)}
        />
      ) : (
        <p class="actions">
          <button type="button" data-command="reissue_receipt" aria-expanded={false} onClick={() => setOpen(true)}>
            {t('reissue.open')}
          </button>
        </p>
      )}
    </section>
  );
}

function ReissueForm({ caseId, onIssued, onFailed, onCancel }: { caseId: string; onIssued: (receipt: string) => void; onFailed: () => void; onCancel: () => void }) {
  const [cause, setCause] = useState<Cause>('lost');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('select')?.focus();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    let prepared = false;
    try {
      const [bundle, intakeKey] = await Promise.all([call('getCaseRekeyBundle', { params: { caseId } }), call('getIntakeKey')]);
      const keyring = (account.value?.keyring ?? []).map((k) => ({ orgKeyId: k.orgKeyId, entry: k.entry }));
      const out = await crypto({ op: 'reissueReceipt', caseId, bundle: bundle as RekeyBundle, receiptSalt: intakeKey.receiptSalt, keyring, cause });
      prepared = true;
      await call('reissueReceipt', { params: { caseId }, body: out.body });
      onIssued(out.receipt);
    } catch (err) {
      setError(codeOf(err));
      // The worker holds the new key only once the API took it: the case's own key is opened again.
      if (prepared) onFailed();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h3 id={`${id}-title`}>{t('reissue.open')}</h3>
      <SelectField label={t('reissue.cause')} hint={t('reissue.causeHint')} options={CAUSES.map((c) => ({ code: c, label: causeLabel(c) }))} value={cause} onValue={(v) => setCause(CAUSES.find((c) => c === v) ?? 'lost')} />
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('reissue.confirm')} onCancel={onCancel} />
    </form>
  );
}
