/** A supervisor's decision form: a reason (kept on the timeline and in the audit log), then confirm. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { TextArea } from '../ui/choices.js';
import { FormButtons, useCommand, useFocusFirst } from '../ui/command-form.js';
import { Problem } from '../ui/problem.js';

export function ReasonForm({ confirm, onCancel, send, extra, hint }: { confirm: string; onCancel: () => void; send: (reason: string) => Promise<void>; extra?: ComponentChildren; hint?: string }) {
  const [reason, setReason] = useState('');
  const { busy, error, setError, run } = useCommand();
  const form = useFocusFirst();
  const submit = (e: Event) => {
    e.preventDefault();
    if (reason.trim().length < 3) return setError('reason_required');
    void run(() => send(reason.trim()));
  };
  return (
    <form ref={form} class="action-form" onSubmit={submit}>
      {extra}
      <TextArea label={t('approvals.reason')} value={reason} onValue={setReason} maxLength={2000} rows={3} {...(hint ? { hint } : {})} />
      <Problem code={error} />
      <FormButtons busy={busy} confirm={confirm} onCancel={onCancel} />
    </form>
  );
}
