/** A command that needs a written reason (disable, enable, reset a second factor, remove a keyring entry): the reason, confirm, cancel. */
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { FormButtons, useFocusFirst } from '../ui/command-form.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';

export function ReasonForm({ title, confirm, busy, error, onSubmit, onCancel }: { title: string; confirm: string; busy: boolean; error: string | null; onSubmit: (reason: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const ref = useFocusFirst();
  const submit = (event: Event) => {
    event.preventDefault();
    if (reason.trim().length < 3) return setMissing(true);
    setMissing(false);
    onSubmit(reason.trim());
  };
  return (
    <form ref={ref} class="card" onSubmit={submit} noValidate aria-label={title}>
      <h2>{title}</h2>
      <Problem code={error} />
      <Field label={t('admin.reason')} hint={t('admin.reasonHint')} value={reason} onValue={setReason} maxLength={500} required error={missing ? t('admin.reasonMissing') : null} />
      <FormButtons busy={busy} confirm={confirm} onCancel={onCancel} />
    </form>
  );
}
