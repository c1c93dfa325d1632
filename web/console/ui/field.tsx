/** A labelled input with its hint and error tied to it for screen readers (WCAG 1.3.1, 3.3.1). */
import { useId } from 'preact/hooks';

interface FieldProps {
  label: string;
  /** Other kinds of input use `inputMode` (the phone's keyboard) on a text input. */
  type?: 'text' | 'password';
  autocomplete?: string;
  inputMode?: 'numeric' | 'text' | 'tel' | 'search';
  pattern?: string;
  maxLength?: number;
  required?: boolean;
  autocapitalize?: 'none' | 'off';
  spellcheck?: boolean;
  value: string;
  onValue: (value: string) => void;
  hint?: string;
  error?: string | null;
}

export function Field({ label, value, onValue, hint, error, type = 'text', ...input }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={error ? 'field field-invalid' : 'field'}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      {type === 'password' ? (
        <input id={id} type="password" value={value} onInput={(e) => onValue(e.currentTarget.value)} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy} {...input} />
      ) : (
        <input id={id} type="text" value={value} onInput={(e) => onValue(e.currentTarget.value)} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy} {...input} />
      )}
      {error && (
        <p class="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}
