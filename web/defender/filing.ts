/**
 * The guided request form: five short steps, then the receipt. What the person types stays in
 * the form (in memory only, never in storage) until the request is accepted, so a failed send
 * loses nothing; the sealed fields are encrypted in the crypto worker before anything is sent,
 * and the mechanism key offered by the server must have the keyId this page pins.
 *
 * A request is sealed once and kept, sealed, in memory until the server has it: a send whose
 * answer is lost (connection cut, 5xx) may still have been filed, so the retry resends the same
 * bytes (same case id, receipt verifier and ciphertext). The server files a case id at most once
 * and answers 409 `already_exists` to the second; the page then logs in with the receipt it
 * already holds and shows that receipt and the case's reference: one request, one receipt.
 */
import { ApiFailure, call, logIn, logOut } from './api.js';
import { crypto, CryptoFailure, preloadCrypto } from './crypto-client.js';
import { h } from './dom.js';
import { L, dateText, join, type Bilingual } from './i18n.js';
import type { FilingMetadata, FilingSecrets, IntakeKeyInfo } from '../../src/sdk/index.js';
import type { CryptoResults } from './protocol.js';
import { Outcome, button, choiceField, failureText, progress, readLists, selectField, textField, type CodeLabel } from './ui.js';

export interface Filed {
  caseId: string;
  reference: string;
  /** Null when the request was found already filed: the defender's view of a case does not give it. */
  acknowledgeBy: string | null;
  receipt: string;
  authKey: string;
  /** Set when a retry found the request already filed by a send whose answer was lost. */
  recovered?: { changesMissing: boolean };
}

/** The sealed request, in memory only (never in storage), from its sealing until the server has it. */
interface Sealed {
  body: CryptoResults['file']['body'];
  receipt: string;
  authKey: string;
  /** What the person had typed when it was sealed: typed otherwise since, it is sealed again. */
  draft: string;
  /** A send of this case id went unanswered (no connection, 5xx): it may have been filed. */
  unsure: boolean;
  /** The drafts sent under this case id without an answer: the one filed may be any of them. */
  unanswered: Set<string>;
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
    { title: L('s1'), el: h('div', {}, h('p', { class: 'hint', 'data-codes-visible': '' }, L('codesVisible')), filedFor.wrap, identity.wrap, category.wrap, gender.wrap, disability.wrap), check: all(filedFor.check, identity.check, category.check, gender.check, disability.check) },
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
    // One send at a time (Enter in a field submits too): two at once could seal two requests.
    if (!sending) void send();
  });

  let sealed: Sealed | null = null;
  let sending = false;

  function draftOf(): { metadata: FilingMetadata; secrets: FilingSecrets } {
    return {
      metadata: {
        region: region.input.value,
        defenderCategory: category.input.value,
        gender: gender.input.value,
        disability: disability.input.value,
        threatTypes: threats.values(),
        claimedUrgent: urgent.values()[0] === 'yes',
        preferredLanguage: language.input.value,
        contactChannel: channel.input.value,
        filedFor: filedFor.values()[0] ?? 'self',
      },
      secrets: {
        identity: { name: identity.input.value.trim() },
        contact: { text: contact.input.value.trim() },
        narrative: { text: narrative.input.value.trim() },
        ...(location.input.value.trim() ? { location: { text: location.input.value.trim() } } : {}),
      },
    };
  }

  /** The request sealed from what is typed now: the one kept if nothing changed, else sealed again. */
  async function seal(): Promise<Sealed> {
    const { metadata, secrets } = draftOf();
    const draft = JSON.stringify([metadata, secrets]);
    if (sealed && sealed.draft === draft) return sealed;
    const intakeKey: IntakeKeyInfo = await call('getIntakeKey');
    // Refuse before sealing anything: the server's word about the key is not trusted.
    if (intakeKey.keyId !== pinnedKeyId) throw new CryptoFailure('key_id_mismatch', 'the server offers another mechanism key');
    // Changed after a send that may have been filed: sealed again under the same case id and
    // receipt, so that if the first was filed this one is refused (409), never filed beside it.
    const before = sealed?.unsure ? sealed : null;
    const keep = before ? { caseId: before.body.caseId, receipt: before.receipt } : {};
    const next = await crypto({ op: 'file', intakeKey, pinnedKeyId, metadata, secrets, ...keep });
    sealed = { ...next, draft, unsure: before !== null, unanswered: before ? before.unanswered : new Set() };
    return sealed;
  }

  /**
   * The request was filed by an earlier send whose answer was lost: the receipt logs in (its keys
   * are in the worker already), the case view gives the reference. Only a case this receipt opens
   * under the very case id sent counts; anything else is not this request.
   */
  async function recover(s: Sealed): Promise<Filed> {
    let caseId: string;
    try {
      caseId = await logIn(s.authKey);
    } catch (err) {
      if (err instanceof ApiFailure && err.kind === 'unauthenticated') return notOurs();
      throw err;
    }
    try {
      if (caseId !== s.body.caseId) return notOurs();
      const read = await call('getCase', { params: { caseId } });
      const changesMissing = [...s.unanswered].some((d) => d !== s.draft);
      return { caseId, reference: read.case.reference, acknowledgeBy: null, receipt: s.receipt, authKey: s.authKey, recovered: { changesMissing } };
    } finally {
      // The receipt view starts from no session, as after an ordinary filing.
      logOut();
    }
  }

  /** A case id or receipt someone else's request holds (vanishingly rare): the next send draws new ones. */
  function notOurs(): never {
    sealed = null;
    throw new ApiFailure('server', 409, 'already_exists');
  }

  async function send(): Promise<void> {
    outcome.clear();
    sending = true;
    sendButton.disabled = true;
    backButton.disabled = true;
    let stop = progress(busyArea, L('working'));
    try {
      const s = await seal();
      stop();
      stop = progress(busyArea, L('sending'));
      let filed: Filed;
      try {
        filed = { ...(await call('fileCase', { body: s.body })), receipt: s.receipt, authKey: s.authKey };
      } catch (err) {
        if (!(err instanceof ApiFailure)) throw err;
        if (err.kind === 'network' || err.kind === 'server') {
          s.unsure = true;
          s.unanswered.add(s.draft);
          throw err;
        }
        // 409 already_exists: this case id is filed, by an earlier send of this request. After a
        // send that may have been filed, a key that changed since may hide the same: ask the receipt.
        if (err.code === 'already_exists' || (err.kind === 'key_changed' && s.unsure)) {
          try {
            filed = await recover(s);
          } catch (lost) {
            throw lost instanceof ApiFailure && lost.code === 'already_exists' && err.kind === 'key_changed' ? err : lost;
          }
        } else {
          // Refused before anything was written (a rate limit keeps the sealed request: nothing
          // in it is wrong). After an unanswered send, the case id and receipt stay, whatever comes.
          if (!s.unsure && err.kind !== 'rate_limited') sealed = null;
          throw err;
        }
      }
      stop();
      // Accepted: only now is the draft cleared (the form goes away with it).
      sealed = null;
      form.reset();
      onFiled(filed);
    } catch (err) {
      stop();
      const text = failureText(err instanceof ApiFailure || err instanceof CryptoFailure ? err : new CryptoFailure('crypto_failed', String(err)));
      // The person is told that trying again cannot make a second request.
      outcome.failWith(sealed?.unsure && err instanceof ApiFailure && (err.kind === 'network' || err.kind === 'server') ? join(text, L('sendUnsure')) : text);
    } finally {
      sending = false;
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
    filed.recovered ? h('p', { class: 'warning', id: 'recovered' }, L('arrivedOnce'), ...(filed.recovered.changesMissing ? [' ', L('changesMissing')] : [])) : null,
    h('p', {}, filed.acknowledgeBy ? L('ackBy', { date: dateText(filed.acknowledgeBy, false) }) : L('ackSoon')),
    // The session opened by the filing goes on into the case view, where evidence is added.
    h('p', { id: 'files-after-filing' }, L('filesAfterFiling')),
    h('div', { class: 'choice' }, noted, h('label', { for: 'noted' }, L('noted'))),
    h('div', { class: 'actions' }, follow, finish),
  );
}

