/**
 * The guided request form: five short steps, then the receipt. What the person types stays in
 * the form (in memory only, never in storage) until the request is accepted, so a failed send
 * loses nothing; the sealed fields are encrypted in the crypto worker before anything is sent,
 * and the mechanism key offered by the server must have the keyId this page pins.
 */
import { api, ApiFailure } from './api.js';
import { crypto, CryptoFailure, preloadCrypto } from './crypto-client.js';
import { h } from './dom.js';
import { L, dateText, type Bilingual } from './i18n.js';
import type { FilingMetadata, FilingSecrets, IntakeKeyInfo } from '../../src/sdk/index.js';
import { Outcome, button, choiceField, progress, readLists, selectField, textField, type CodeLabel } from './ui.js';

export interface Filed {
  caseId: string;
  reference: string;
  acknowledgeBy: string;
  receipt: string;
  authKey: string;
}

interface Step {
  title: Bilingual;
  el: HTMLElement;
  check(): boolean;
}

const YES_NO = (): CodeLabel[] => [
  { code: 'yes', ...L('yes') },
  { code: 'no', ...L('no') },
];

export function filingForm(pinnedKeyId: string, onFiled: (filed: Filed) => void): HTMLElement {
  const lists = readLists();
  const list = (name: string) => lists[name] ?? [];

  const filedFor = choiceField({ kind: 'radio', label: L('filedFor'), options: list('filedFor'), initial: 'self', required: true });
  const identity = textField({ label: L('identity'), hint: L('identityHint'), required: true });
  const category = selectField({ label: L('defenderCategory'), options: list('defenderCategory'), required: true });
  const gender = selectField({ label: L('gender'), options: list('gender'), initial: 'undisclosed', required: true });
  const disability = selectField({ label: L('disability'), options: list('disability'), initial: 'undisclosed', required: true });
  const threats = choiceField({ kind: 'checkbox', label: L('threatTypes'), options: list('threatType'), required: true });
  const narrative = textField({ label: L('narrative'), hint: L('narrativeHint'), multiline: true, required: true });
  const region = selectField({ label: L('region'), options: list('region'), required: true });
  const location = textField({ label: L('location'), hint: L('locationHint') });
  const channel = selectField({ label: L('contactChannel'), options: list('contactChannel'), required: true });
  const contact = textField({ label: L('contact'), hint: L('contactHint'), multiline: true, required: true });
  const language = selectField({ label: L('preferredLanguage'), options: list('language'), initial: 'fr', required: true });
  const urgent = choiceField({ kind: 'radio', label: L('urgent'), hint: L('urgentHint'), options: YES_NO(), required: true });

  const all = (...checks: Array<() => boolean>) => () => checks.map((c) => c()).every(Boolean);
  const steps: Step[] = [
    { title: L('s1'), el: h('div', {}, filedFor.wrap, identity.wrap, category.wrap, gender.wrap, disability.wrap), check: all(filedFor.check, identity.check, category.check, gender.check, disability.check) },
    { title: L('s2'), el: h('div', {}, threats.wrap, narrative.wrap), check: all(threats.check, narrative.check) },
    { title: L('s3'), el: h('div', {}, region.wrap, location.wrap), check: all(region.check, location.check) },
    { title: L('s4'), el: h('div', {}, channel.wrap, contact.wrap, language.wrap), check: all(channel.check, contact.check, language.check) },
    { title: L('s5'), el: h('div', {}, urgent.wrap, h('p', { class: 'hint' }, L('reviewNote'))), check: urgent.check },
  ];

  const outcome = new Outcome();
  const busyArea = h('div', { class: 'busy' });
  const heading = h('h2', { id: 'step-title', tabindex: '-1' });
  const counter = h('p', { class: 'step-count' });
  const body = h('div', {});
  const backButton = button(L('back'), { class: 'secondary', onclick: () => show(index - 1) });
  const nextButton = button(L('next'), { class: 'primary', onclick: () => advance() });
  const sendButton = h('button', { type: 'submit', class: 'primary' }, L('send'));
  const form = h('form', { class: 'filing', novalidate: true, 'aria-labelledby': 'step-title' }, counter, heading, body, outcome.el, busyArea, h('div', { class: 'actions' }, backButton, nextButton, sendButton));
  let index = 0;

  function show(i: number): void {
    index = Math.max(0, Math.min(steps.length - 1, i));
    const step = steps[index]!;
    heading.replaceChildren(h('span', {}, step.title));
    counter.replaceChildren(h('span', {}, L('step', { n: index + 1, total: steps.length })));
    body.replaceChildren(step.el);
    backButton.hidden = index === 0;
    nextButton.hidden = index === steps.length - 1;
    sendButton.hidden = index !== steps.length - 1;
    outcome.clear();
  }

  function advance(): void {
    if (!steps[index]!.check()) {
      outcome.failWith(L('fixErrors'));
      steps[index]!.el.querySelector<HTMLElement>('[aria-invalid="true"], fieldset .field-error:not([hidden]) ~ .choice input')?.focus();
      return;
    }
    show(index + 1);
    heading.focus();
  }

  // The crypto (the big download) starts loading as soon as the person begins: ready by the end.
  form.addEventListener('input', () => void preloadCrypto().catch(() => undefined), { once: true });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const bad = steps.findIndex((s) => !s.check());
    if (bad !== -1) {
      show(bad);
      outcome.failWith(L('fixErrors'));
      return;
    }
    void send();
  });

  async function send(): Promise<void> {
    outcome.clear();
    sendButton.disabled = true;
    backButton.disabled = true;
    let stop = progress(busyArea, L('working'));
    try {
      const intakeKey = await api<IntakeKeyInfo>('GET', '/v1/keys/intake');
      // Refuse before sealing anything: the server's word about the key is not trusted.
      if (intakeKey.keyId !== pinnedKeyId) throw new CryptoFailure('key_id_mismatch', 'the server offers another mechanism key');
      const metadata: FilingMetadata = {
        region: region.input.value,
        defenderCategory: category.input.value,
        gender: gender.input.value,
        disability: disability.input.value,
        threatTypes: threats.values(),
        claimedUrgent: urgent.values()[0] === 'yes',
        preferredLanguage: language.input.value,
        contactChannel: channel.input.value,
        filedFor: filedFor.values()[0] ?? 'self',
      };
      const secrets: FilingSecrets = {
        identity: { name: identity.input.value.trim() },
        contact: { text: contact.input.value.trim() },
        narrative: { text: narrative.input.value.trim() },
        ...(location.input.value.trim() ? { location: { text: location.input.value.trim() } } : {}),
      };
      const prepared = await crypto({ op: 'file', intakeKey, pinnedKeyId, metadata, secrets });
      stop();
      stop = progress(busyArea, L('sending'));
      const filed = await api<{ caseId: string; reference: string; acknowledgeBy: string }>('POST', '/v1/cases', prepared.body);
      stop();
      // Accepted: only now is the draft cleared (the form goes away with it).
      form.reset();
      onFiled({ ...filed, receipt: prepared.receipt, authKey: prepared.authKey });
    } catch (err) {
      stop();
      outcome.fail(err instanceof ApiFailure || err instanceof CryptoFailure ? err : new CryptoFailure('crypto_failed', String(err)));
    } finally {
      sendButton.disabled = false;
      backButton.disabled = false;
    }
  }

  show(0);
  return form;
}

/** The receipt, shown once, with how to keep it; the person confirms before moving on. */
export function receiptView(filed: Filed, next: { follow(): void; finish(): void }): HTMLElement {
  const noted = h('input', { type: 'checkbox', id: 'noted' });
  const follow = button(L('goFollow'), { class: 'primary', disabled: true, onclick: () => next.follow() });
  const finish = button(L('finish'), { class: 'secondary', disabled: true, onclick: () => next.finish() });
  noted.addEventListener('change', () => {
    follow.disabled = !noted.checked;
    finish.disabled = !noted.checked;
  });
  return h(
    'section',
    { class: 'receipt-view', 'aria-labelledby': 'sent-title' },
    h('h1', { id: 'sent-title', tabindex: '-1' }, L('sentTitle')),
    h('p', {}, L('reference'), ' : ', h('strong', { id: 'case-reference' }, filed.reference)),
    h('div', { class: 'receipt-box' }, h('p', { class: 'receipt-label', id: 'receipt-label' }, L('receipt')), h('p', { class: 'receipt', id: 'receipt', 'aria-labelledby': 'receipt-label' }, filed.receipt)),
    h('p', { class: 'warning' }, h('strong', {}, L('receiptOnce'))),
    h('ul', { class: 'advice' }, h('li', {}, L('advice1')), h('li', {}, L('advice2')), h('li', {}, L('advice3'))),
    h('p', {}, L('ackBy', { date: dateText(filed.acknowledgeBy, false) })),
    h('div', { class: 'choice' }, noted, h('label', { for: 'noted' }, L('noted'))),
    h('div', { class: 'actions' }, follow, finish),
  );
}

