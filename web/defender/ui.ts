/**
 * The page's building blocks: labelled fields (every input has a visible <label>, hints and
 * errors tied with aria-describedby), the message areas (errors in role=alert, progress and
 * confirmations in role=status), and the plain-words text of every failure.
 */
import { ApiFailure } from './api.js';
import { CryptoFailure } from './crypto-client.js';
import { L, type Bilingual } from './i18n.js';
import { append, bi, h, lang, nextId, type Child } from './dom.js';

export interface CodeLabel {
  code: string;
  fr: string;
  en: string;
}
export type Lists = Record<string, CodeLabel[]>;

let lists: Lists = {};

/** Keeps the institution's codes (policies/intake.yaml) the page read from GET /v1/page/settings. */
export function setLists(next: Lists): void {
  lists = next;
}

/** The institution's codes, as read at start (empty until then). */
export function readLists(): Lists {
  return lists;
}

export function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content.trim() ?? '';
}

/** What went wrong, in plain words, for the person. */
export function failureText(err: unknown): Bilingual {
  if (err instanceof ApiFailure) {
    switch (err.kind) {
      case 'network':
        return L('errNetwork');
      case 'rate_limited':
        // Past the hourly byte ceiling of the address a short request still goes through: say so
        // rather than ask a person in danger to wait an hour.
        if (err.code === 'filing_quota_exceeded') return L('errFilingQuota');
        return err.retryAfter ? L('errRateLimited', { n: err.retryAfter }) : L('errRateLimitedNoWait');
      case 'unauthenticated':
        return L('errSession');
      case 'too_large':
        return L('errTooLarge');
      case 'invalid':
        return L('errInvalid', { code: err.code });
      case 'conflict':
      case 'not_found':
        return L('errConflict', { code: err.code });
      case 'key_changed':
        return L('errKeyChanged');
      default:
        return L('errServer', { code: err.code });
    }
  }
  if (err instanceof CryptoFailure) {
    if (err.code === 'key_id_mismatch') return L('errKeyMismatch');
    if (err.code === 'bad_receipt') return L('badReceipt');
    if (err.code === 'network') return L('errNetwork');
    return L('errCrypto', { code: err.code });
  }
  return L('errServer', { code: err instanceof Error ? err.name : 'unknown' });
}

/** An area for one form's outcome: an error (role=alert, focused) or a confirmation (role=status). */
export class Outcome {
  readonly error = h('div', { class: 'msg msg-error', role: 'alert', tabindex: '-1', hidden: true });
  readonly status = h('div', { class: 'msg msg-ok', role: 'status' });
  readonly el = h('div', { class: 'outcome' }, this.error, this.status);

  fail(err: unknown): void {
    this.failWith(failureText(err));
  }

  failWith(text: Bilingual): void {
    this.status.replaceChildren();
    this.error.replaceChildren(bi(text));
    this.error.hidden = false;
    this.error.focus();
  }

  ok(text: Bilingual): void {
    this.clear();
    this.status.replaceChildren(bi(text));
  }

  clear(): void {
    this.error.hidden = true;
    this.error.replaceChildren();
    this.status.replaceChildren();
  }
}

/**
 * A progress line for slow steps (Argon2id on a phone, a slow network): libsodium reports no
 * progress, so the person sees an animated bar, what is happening and the seconds elapsed.
 */
export function progress(into: HTMLElement, text: Bilingual): () => void {
  const seconds = h('span', { class: 'elapsed' }, '0 s');
  const box = h('div', { class: 'progress', role: 'status' }, h('progress', { 'aria-label': text[lang()] }), h('p', {}, text, ' ', seconds));
  into.replaceChildren(box);
  const started = Date.now();
  const timer = setInterval(() => {
    seconds.textContent = `${Math.round((Date.now() - started) / 1000)} s`;
  }, 500);
  return () => {
    clearInterval(timer);
    box.remove();
  };
}

export interface Field<E extends HTMLElement> {
  wrap: HTMLElement;
  input: E;
  /** Shows or clears this field's error; returns whether it is valid. */
  check(): boolean;
}

interface FieldOptions {
  label: Bilingual;
  hint?: Bilingual;
  required?: boolean;
}

function described(input: HTMLElement, ...ids: string[]): void {
  input.setAttribute('aria-describedby', ids.join(' '));
}

function labelOf(id: string, o: FieldOptions): HTMLLabelElement {
  return h('label', { for: id }, o.label, ' ', h('span', { class: 'req' }, o.required ? L('required') : L('optional')));
}

function errorOf(id: string): HTMLParagraphElement {
  return h('p', { class: 'field-error', id, hidden: true });
}

function setError(input: HTMLElement, error: HTMLElement, bad: boolean): boolean {
  error.hidden = !bad;
  error.replaceChildren(...(bad ? [bi(L('needAnswer'))] : []));
  if (bad) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  return !bad;
}

export function textField(o: FieldOptions & { multiline?: boolean; inputmode?: string; maxlength?: number }): Field<HTMLInputElement | HTMLTextAreaElement> {
  const id = nextId('f');
  const input = o.multiline ? h('textarea', { id, rows: 5, maxlength: o.maxlength ?? 20000 }) : h('input', { id, type: 'text', maxlength: o.maxlength ?? 2000, inputmode: o.inputmode });
  // Nothing typed here is remembered by the browser (a seized phone keeps no suggestions).
  input.setAttribute('autocomplete', 'off');
  input.setAttribute('spellcheck', 'false');
  const hint = o.hint ? h('p', { class: 'hint', id: `${id}-hint` }, o.hint) : null;
  const error = errorOf(`${id}-err`);
  described(input, ...(hint ? [`${id}-hint`] : []), `${id}-err`);
  if (o.required) input.required = true;
  const check = () => setError(input, error, Boolean(o.required) && input.value.trim() === '');
  input.addEventListener('blur', () => input.value.trim() !== '' && check());
  return { wrap: h('div', { class: 'field' }, labelOf(id, o), hint, error, input), input, check };
}

export function selectField(o: FieldOptions & { options: CodeLabel[]; initial?: string }): Field<HTMLSelectElement> {
  const id = nextId('f');
  const select = h('select', { id });
  if (!o.initial) append(select, h('option', { value: '' }, L('choose')));
  for (const c of o.options) append(select, h('option', { value: c.code, selected: c.code === o.initial }, { fr: c.fr, en: c.en }));
  const error = errorOf(`${id}-err`);
  const hint = o.hint ? h('p', { class: 'hint', id: `${id}-hint` }, o.hint) : null;
  described(select, ...(hint ? [`${id}-hint`] : []), `${id}-err`);
  if (o.required) select.required = true;
  const check = () => setError(select, error, Boolean(o.required) && select.value === '');
  return { wrap: h('div', { class: 'field' }, labelOf(id, o), hint, error, select), input: select, check };
}

/** Radio buttons or checkboxes in a fieldset whose legend is the question. */
export function choiceField(o: FieldOptions & { kind: 'radio' | 'checkbox'; options: CodeLabel[]; initial?: string }): { wrap: HTMLFieldSetElement; values(): string[]; check(): boolean; first(): HTMLInputElement | null } {
  const name = nextId('c');
  const error = errorOf(`${name}-err`);
  const hint = o.hint ? h('p', { class: 'hint', id: `${name}-hint` }, o.hint) : null;
  const inputs: HTMLInputElement[] = [];
  const items = o.options.map((c) => {
    const id = nextId('o');
    const input = h('input', { type: o.kind, id, name, value: c.code, checked: c.code === o.initial });
    inputs.push(input);
    return h('div', { class: 'choice' }, input, h('label', { for: id }, { fr: c.fr, en: c.en }));
  });
  const wrap = h('fieldset', { class: 'field choices' }, h('legend', {}, o.label, ' ', h('span', { class: 'req' }, o.required ? L('required') : L('optional'))), hint, error, ...items);
  wrap.setAttribute('aria-describedby', [hint ? `${name}-hint` : '', `${name}-err`].filter(Boolean).join(' '));
  const values = () => inputs.filter((i) => i.checked).map((i) => i.value);
  const check = () => {
    const bad = Boolean(o.required) && values().length === 0;
    error.hidden = !bad;
    error.replaceChildren(...(bad ? [bi(L('needAnswer'))] : []));
    return !bad;
  };
  return { wrap, values, check, first: () => inputs[0] ?? null };
}

export function button(text: Bilingual | Child, attrs: Record<string, string | boolean | ((e: Event) => void)> = {}): HTMLButtonElement {
  return h('button', { type: 'button', ...attrs }, text as Child);
}
