/**
 * The labelled controls the intake and report forms need besides a text input: a list, a set of
 * radio buttons or check boxes (a fieldset with its legend), and a text area.
 */
import { useId } from 'preact/hooks';

export interface Option {
  code: string;
  label: string;
}

/**
 * A labelled select. `options` as `{ code, label }` or `[code, label]` pairs; `blank`, when given,
 * is the words of an empty first choice ("any", "choose").
 */
export function SelectField({ label, options, value, onValue, hint, blank }: { label: string; options: ReadonlyArray<Option | readonly [string, string]>; value: string; onValue: (v: string) => void; hint?: string; blank?: string }) {
  const id = useId();
  const list = options.map((o): Option => ('code' in o ? o : { code: o[0], label: o[1] }));
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <select id={id} value={value} aria-describedby={hint ? `${id}-hint` : undefined} onChange={(e) => onValue(e.currentTarget.value)}>
        {blank !== undefined && <option value="">{blank}</option>}
        {list.map((o) => (
          <option key={o.code} value={o.code}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function TextArea({ label, value, onValue, hint, maxLength = 4000, rows = 4 }: { label: string; value: string; onValue: (v: string) => void; hint?: string; maxLength?: number; rows?: number }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <textarea id={id} rows={rows} maxLength={maxLength} value={value} aria-describedby={hint ? `${id}-hint` : undefined} onInput={(e) => onValue(e.currentTarget.value)} />
    </div>
  );
}

/** Radio buttons (one value) or check boxes (several), grouped under their legend. */
export function Choices({ legend, options, kind, chosen, onChosen, hint }: { legend: string; options: Option[]; kind: 'radio' | 'checkbox'; chosen: string[]; onChosen: (v: string[]) => void; hint?: string }) {
  const id = useId();
  const toggle = (code: string, on: boolean) => onChosen(kind === 'radio' ? [code] : on ? [...chosen, code] : chosen.filter((c) => c !== code));
  return (
    <fieldset class="field choices" aria-describedby={hint ? `${id}-hint` : undefined}>
      <legend>{legend}</legend>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {options.map((o) => (
        <div class="check" key={o.code}>
          <input id={`${id}-${o.code}`} type={kind} name={id} value={o.code} checked={chosen.includes(o.code)} onChange={(e) => toggle(o.code, e.currentTarget.checked)} />
          <label for={`${id}-${o.code}`}>{o.label}</label>
        </div>
      ))}
    </fieldset>
  );
}
