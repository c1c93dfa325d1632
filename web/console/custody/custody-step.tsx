/**
 * What every step of the custody screen looks like: its titled card, what it does in a sentence,
 * the form (its own controls, then the submit button), the problem when the step failed and,
 * for a step that says what it did, a status region for it.
 */
import type { ComponentChildren } from 'preact';
import { Problem } from '../ui/problem.js';

interface StepProps {
  /** The section's id stem: its heading is `<name>-title`. */
  name: string;
  title: string;
  intro: string;
  submit: string;
  /** The step's command, from useCommand. */
  busy: boolean;
  error: string | null;
  /** Besides a command under way, what keeps the submit button off (nothing chosen or typed yet). */
  blocked?: boolean;
  /** What the step did, in words; a step given no `done` has no status region. */
  done?: string | null;
  onSubmit: () => void;
  children: ComponentChildren;
}

export function CustodyStep({ name, title, intro, submit, busy, error, blocked = false, done, onSubmit, children }: StepProps) {
  return (
    <section aria-labelledby={`${name}-title`} class="card">
      <h2 id={`${name}-title`}>{title}</h2>
      <p>{intro}</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onSubmit();
        }}
        noValidate
      >
        {children}
        <p class="actions">
          <button type="submit" class="primary" disabled={busy || blocked} aria-busy={busy}>
            {submit}
          </button>
        </p>
      </form>
      <Problem code={error} />
      {done !== undefined && <div role="status">{done && <p class="alert alert-ok">{done}</p>}</div>}
    </section>
  );
}
