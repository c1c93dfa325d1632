/**
 * Whether the violation the case alleges was verified, as staff may change it: when getCaseActions
 * allows set_verification, a button opens a small form (the status, a reason). The form says plainly
 * that the status is a code the service sees and counts in its statistics; the reason goes to the
 * timeline and the audit log. The status itself shows with the case's metadata (case-meta.tsx).
 */
import { useEffect, useState } from 'preact/hooks';
import { VERIFICATION_STATUSES, type Verification, type VerificationStatus } from '../../../src/contracts/case-verification.js';
import { call } from '../api.js';
import { t } from '../i18n.js';
import { SelectField } from '../ui/choices.js';
import { ReasonForm } from '../ui/reason-form.js';
import type { Actions } from './case-actions.js';
import { verificationLabel } from './case-meta.js';

export function CaseVerification({ caseId, current, actions, onChanged }: { caseId: string; current: Verification; actions: Actions | null; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [status, setStatus] = useState<string | null>(null);

  useEffect(() => {
    setOpen(false);
    setStatus(null);
  }, [caseId]);
  const allowed = actions?.commands.some((c) => c.command === 'set_verification' && c.allowed) ?? false;

  return (
    <>
      {allowed &&
        (open ? (
          <VerificationForm
            caseId={caseId}
            current={current}
            onDone={(chosen) => {
              setOpen(false);
              setStatus(t('verification.done', { status: verificationLabel(chosen) }));
              onChanged();
            }}
            onCancel={() => setOpen(false)}
          />
        ) : (
          <p class="actions">
            <button type="button" data-command="set_verification" aria-expanded={false} onClick={() => (setStatus(null), setOpen(true))}>
              {t('verification.open')}
            </button>
          </p>
        ))}
      <p role="status">{status ?? ''}</p>
    </>
  );
}

function VerificationForm({ caseId, current, onDone, onCancel }: { caseId: string; current: Verification; onDone: (chosen: VerificationStatus) => void; onCancel: () => void }) {
  // A case filed before the status existed (not_stated) starts from what every new case is.
  const [chosen, setChosen] = useState<VerificationStatus>(VERIFICATION_STATUSES.find((s) => s === current) ?? 'alleged');
  return (
    <ReasonForm
      title={t('verification.open')}
      level={3}
      confirm={t('verification.confirm')}
      hint={t('actions.reasonHint')}
      onCancel={onCancel}
      send={async (reason) => {
        await call('setCaseVerification', { params: { caseId }, body: { status: chosen, reason } });
        onDone(chosen);
      }}
    >
      <SelectField
        label={t('verification.status')}
        hint={t('verification.hint')}
        options={VERIFICATION_STATUSES.map((s) => ({ code: s, label: verificationLabel(s) }))}
        value={chosen}
        onValue={(v) => setChosen(VERIFICATION_STATUSES.find((s) => s === v) ?? 'alleged')}
      />
    </ReasonForm>
  );
}
