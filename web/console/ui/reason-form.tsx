/**
 * A command that needs a written reason (kept on the timeline or in the audit log): the reason,
 * confirm, cancel. The form runs the command itself, so a refusal of the API shows in it, in
 * words, until the person corrects it or cancels; a reason shorter than three characters is
 * refused here as `reason_required` before anything is sent.
 */
import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { TextArea } from './choices.js';
import { FormButtons, useCommand, useFocusFirst } from './command-form.js';
import { Problem } from './problem.js';

interface ReasonFormProps {
  confirm: string;
  /** Runs the command with the trimmed reason; what it throws shows as the problem's words. */
  send: (reason: string) => Promise<void>;
  onCancel: () => void;
  /** The form's heading and name; without one the form stands under the heading of the item it acts on. */
  title?: string;
  /** The heading's level where the form stands on its page. */
  level?: 2 | 3 | 4;
  /** The reason's label, when the page calls it something other than a "reason". */
  label?: string;
  hint?: string;
  /** The API's own bound on the reason. */
  maxLength?: number;
  /** Controls the command needs besides the reason, shown before it. */
  children?: ComponentChildren;
}

export function ReasonForm({ confirm, send, onCancel, title, level = 2, label = t('actions.reason'), hint, maxLength = 2000, children }: ReasonFormProps) {
  const [reason, setReason] = useState('');
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useFocusFirst();
  const Heading = `h${level}` as const;
  const submit = (event: Event) => {
    event.preventDefault();
    if (reason.trim().length < 3) return setError('reason_required');
    void run(() => send(reason.trim()));
  };
  return (
    <form ref={form} class={title ? 'card action-form' : 'action-form'} aria-labelledby={title ? `${id}-title` : undefined} onSubmit={submit}>
      {title && <Heading id={`${id}-title`}>{title}</Heading>}
      {children}
      <TextArea label={label} rows={3} maxLength={maxLength} value={reason} onValue={setReason} {...(hint ? { hint } : {})} />
      <Problem code={error} />
      <FormButtons busy={busy} confirm={confirm} onCancel={onCancel} />
    </form>
  );
}
