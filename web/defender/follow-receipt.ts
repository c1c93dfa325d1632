/**
 * The receipt form of `/suivi`: the receipt is checked by shape, its keys are derived in the
 * crypto worker (Argon2id, slow on a phone, hence the progress line), and the authKey logs in.
 * What comes out (the case id and the authKey) stays in memory, to log in again when the token
 * expires; the receipt itself is cleared from the field once it has served.
 */
import { ApiFailure, call, logIn } from './api.js';
import { crypto, preloadCrypto } from './crypto-client.js';
import { h } from './dom.js';
import { L } from './i18n.js';
import { Outcome, progress, textField } from './ui.js';

/** An opened case: what the case view needs, and all the page keeps of the receipt. */
export interface Session {
  caseId: string;
  authKey: string;
}

/** The receipt form: derives the keys in the worker (progress shown), then logs in. */
export function receiptForm(onOpen: (session: Session) => void): HTMLElement {
  const receipt = textField({ label: L('receiptLabel'), inputmode: 'numeric', required: true, maxlength: 40 });
  receipt.input.id = 'receipt-input';
  receipt.wrap.querySelector('label')?.setAttribute('for', 'receipt-input');
  const outcome = new Outcome();
  const busy = h('div', { class: 'busy' });
  const open = h('button', { type: 'submit', class: 'primary' }, L('open'));
  const form = h('form', { class: 'receipt-form', novalidate: true }, receipt.wrap, outcome.el, busy, h('div', { class: 'actions' }, open));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  async function submit(): Promise<void> {
    outcome.clear();
    const typed = receipt.input.value;
    // The SDK's own rule (normaliseReceipt): spaces, dashes and dots between groups are ignored.
    if (!/^\d{16}$/.test(typed.normalize('NFKC').replace(/[\s\-\u2010-\u2015\u2212.]/g, ''))) {
      receipt.input.setAttribute('aria-invalid', 'true');
      outcome.failWith(L('badReceipt'));
      return;
    }
    receipt.input.removeAttribute('aria-invalid');
    open.disabled = true;
    const stop = progress(busy, L('opening'));
    try {
      const intake = await call('getIntakeKey');
      const { authKey } = await crypto({ op: 'unlock', receipt: typed, receiptSalt: intake.receiptSalt });
      const caseId = await logIn(authKey);
      stop();
      receipt.input.value = '';
      onOpen({ caseId, authKey });
    } catch (err) {
      stop();
      // A receipt that derives to no case's verifier is a 401 on the receipt login.
      if (err instanceof ApiFailure && err.kind === 'unauthenticated') outcome.failWith(L('errWrongReceipt'));
      else outcome.fail(err);
    } finally {
      open.disabled = false;
    }
  }
  // Start loading the crypto as soon as the person starts typing the receipt.
  receipt.input.addEventListener('input', () => void preloadCrypto().catch(() => undefined), { once: true });
  return form;
}
