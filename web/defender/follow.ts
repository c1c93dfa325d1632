/**
 * The defender's case, opened with the receipt: where it stands, the deadlines that concern them,
 * what they were told, what awaits their consent, messages (opened and sealed in the crypto
 * worker), check-in, a new incident, and the alert. Keys never leave the worker; the page keeps
 * the session token and the authKey in memory only, to log in again when the token expires.
 */
import { api, ApiFailure, logIn, setToken } from './api.js';
import { crypto, CryptoFailure, preloadCrypto } from './crypto-client.js';
import { append, h, type Child } from './dom.js';
import { L, dateText, ruleText, same, stateText, topicText, type Bilingual } from './i18n.js';
import { caseReportNoteAd, measureDetailsAd, messageBodyAd } from '../../src/sdk/crypto/associated-data.js';
import type { JsonValue } from '../../src/sdk/index.js';
import { Outcome, button, choiceField, progress, readLists, selectField, textField, type CodeLabel } from './ui.js';

interface Session {
  caseId: string;
  authKey: string;
}

interface CaseRead {
  case: { id: string; reference: string; state: string; createdAt: string; closedAt: string | null };
  deadlines: Array<{ id: string; rule: string; dueAt: string; state: string }>;
}
interface Message {
  id: string;
  sender: string;
  senderRole: string;
  body: string;
  createdAt: string;
}
interface Measure {
  id: string;
  code: string;
  status: string;
  details: string | null;
  consentAt: string | null;
}
interface CatalogueEntry {
  code: string;
  label: Bilingual;
  warning: Bilingual | null;
}
interface Referral {
  id: string;
  orgName: string;
  purposeLabel: Bilingual;
  fieldLabels?: Array<{ field: string; fr: string; en: string }>;
  fields: string[];
  state: string;
}
interface Notice {
  id: string;
  topic: string;
  payload?: Record<string, string | number | boolean>;
  createdAt: string;
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
      const intake = await api<{ receiptSalt: string }>('GET', '/v1/keys/intake');
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

const uuid = (): string => globalThis.crypto.randomUUID();
const text = (v: JsonValue | null): string | null => (v && typeof v === 'object' && !Array.isArray(v) && typeof v.text === 'string' ? v.text : typeof v === 'string' ? v : null);

export function caseView(session: Session, onClose: () => void): HTMLElement {
  const lists = readLists();
  const D = `d:${session.caseId}`;
  const base = `/v1/cases/${session.caseId}`;
  let keyEpoch = 1;

  /** Every call of this view: an expired token is renewed once with the authKey in memory. */
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    try {
      return await api<T>(method, path, body);
    } catch (err) {
      if (!(err instanceof ApiFailure) || err.kind !== 'unauthenticated') throw err;
      await logIn(session.authKey);
      return api<T>(method, path, body);
    }
  }

  const top = new Outcome();
  const statusBox = h('section', { class: 'card', 'aria-labelledby': 'status-title' });
  const deadlinesBox = h('section', { class: 'card', 'aria-labelledby': 'deadlines-title' });
  const noticesBox = h('section', { class: 'card', 'aria-labelledby': 'notices-title' });
  const consentBox = h('section', { class: 'card', 'aria-labelledby': 'consent-title', id: 'consent' });
  const messagesList = h('ol', { class: 'messages', id: 'messages' });
  const busy = h('div', { class: 'busy' });

  async function load(): Promise<void> {
    const stop = progress(busy, L('loading'));
    try {
      const sealed = await call<{ keyEpoch: number; envelopes: Array<{ keyId: string; envelope: string }> }>('GET', `${base}/sealed`);
      keyEpoch = sealed.keyEpoch;
      await crypto({ op: 'openCaseKey', envelopes: sealed.envelopes });
      const [read, messages, measures, catalogue, referrals, notices] = await Promise.all([
        call<CaseRead>('GET', base),
        call<{ items: Message[] }>('GET', `${base}/messages?limit=100`),
        call<{ items: Measure[] }>('GET', `${base}/measures`),
        call<{ items: CatalogueEntry[] }>('GET', '/v1/measures/catalogue'),
        call<{ items: Referral[] }>('GET', `${base}/referrals`),
        call<{ items: Notice[] }>('GET', `${base}/notices?limit=20`),
      ]);
      renderStatus(read);
      renderDeadlines(read.deadlines);
      renderNotices(notices.items);
      await renderMessages(messages.items);
      await renderConsent(
        measures.items.filter((m) => m.status === 'proposed' && m.consentAt === null),
        new Map(catalogue.items.map((c) => [c.code, c])),
        referrals.items.filter((r) => r.state === 'awaiting_consent'),
      );
      stop();
    } catch (err) {
      stop();
      top.fail(err);
    }
  }

  function renderStatus(read: CaseRead): void {
    const c = read.case;
    statusBox.replaceChildren(
      h('h2', { id: 'status-title' }, L('status')),
      h('p', {}, L('reference'), ' : ', h('strong', { id: 'case-reference' }, c.reference)),
      h('p', { id: 'case-state', class: 'state' }, stateText(c.state)),
      h('p', { class: 'hint' }, L('filedOn', { date: dateText(c.createdAt) })),
    );
    if (c.state === 'info_requested') {
      const outcome = new Outcome();
      const provided = button(L('provided'), {
        class: 'primary',
        onclick: () =>
          void act(provided, outcome, async () => {
            await call('POST', `${base}/provide-info`, {});
            return L('messageSent');
          }),
      });
      append(statusBox, h('p', { class: 'warning' }, L('infoRequested')), outcome.el, provided);
    }
  }

  function renderDeadlines(deadlines: CaseRead['deadlines']): void {
    const open = deadlines.filter((d) => d.state === 'open');
    deadlinesBox.replaceChildren(
      h('h2', { id: 'deadlines-title' }, L('deadlines')),
      open.length === 0 ? h('p', {}, L('noDeadlines')) : h('ul', { id: 'deadlines' }, ...open.map((d) => h('li', {}, ruleText(d.rule), ' — ', L('due', { date: dateText(d.dueAt) })))),
    );
  }

  function renderNotices(items: Notice[]): void {
    noticesBox.hidden = items.length === 0;
    noticesBox.replaceChildren(h('h2', { id: 'notices-title' }, L('notices')), h('ul', {}, ...items.map((n) => h('li', {}, topicText(n.topic, n.payload), ' ', h('span', { class: 'hint' }, '(', dateText(n.createdAt), ')')))));
  }

  async function renderMessages(items: Message[]): Promise<void> {
    const opened = items.length ? await crypto({ op: 'open', items: items.map((m) => ({ sealed: m.body, ad: messageBodyAd(m.id, m.sender) })) }) : [];
    messagesList.replaceChildren(
      ...(items.length === 0
        ? [h('li', { class: 'hint' }, L('noMessages'))]
        : items.map((m, i) => {
            const body = text(opened[i] ?? null);
            return h(
              'li',
              { class: m.sender === D ? 'mine' : 'theirs' },
              h('p', { class: 'who' }, m.sender === D ? L('you') : L('team'), ' · ', dateText(m.createdAt)),
              body === null ? h('p', { class: 'hint' }, L('unreadable')) : h('p', { class: 'body' }, body),
            );
          })),
    );
  }

  async function renderConsent(measures: Measure[], catalogue: Map<string, CatalogueEntry>, referrals: Referral[]): Promise<void> {
    const details = await crypto({ op: 'open', items: measures.filter((m) => m.details).map((m) => ({ sealed: m.details!, ad: measureDetailsAd(m.id) })) });
    let di = 0;
    const cards: Child[] = [];
    for (const m of measures) {
      const entry = catalogue.get(m.code);
      const detail = m.details ? text(details[di++] ?? null) : null;
      cards.push(
        consentCard({
          id: `measure-${m.id}`,
          kind: L('measure'),
          title: entry ? entry.label : same(m.code),
          lines: [detail ? same(detail) : null, entry?.warning ?? null],
          answer: (decision) => call('POST', `/v1/measures/${m.id}/consent`, { decision }),
        }),
      );
    }
    for (const r of referrals) {
      const fields = (r.fieldLabels ?? r.fields.map((f) => ({ field: f, fr: f, en: f }))).map((f) => ({ fr: f.fr, en: f.en }));
      cards.push(
        consentCard({
          id: `referral-${r.id}`,
          kind: L('referral'),
          title: L('referralTo', { org: r.orgName }),
          lines: [L('referralPurpose', { purpose: r.purposeLabel }), L('referralFields', { fields: { fr: fields.map((f) => f.fr).join(', '), en: fields.map((f) => f.en).join(', ') } })],
          answer: (decision) => call('POST', `/v1/referrals/${r.id}/consent`, { decision }),
        }),
      );
    }
    consentBox.replaceChildren(h('h2', { id: 'consent-title' }, L('consentTitle')));
    append(consentBox, ...(cards.length ? cards : [h('p', {}, L('nothingToConsent'))]));
  }

  function consentCard(o: { id: string; kind: Bilingual; title: Bilingual; lines: Array<Bilingual | null>; answer(decision: 'consent' | 'refuse'): Promise<unknown> }): HTMLElement {
    const outcome = new Outcome();
    const yes = button(L('consent'), { class: 'primary', onclick: () => void act(yes, outcome, async () => (await o.answer('consent'), L('consented')), true) });
    const confirmNo = button(L('confirmRefuse'), { class: 'danger', hidden: true, onclick: () => void act(confirmNo, outcome, async () => (await o.answer('refuse'), L('refused')), true) });
    const no = button(L('refuse'), {
      class: 'secondary',
      onclick: () => {
        confirmNo.hidden = false;
        confirmNo.focus();
      },
    });
    const titleId = `${o.id}-title`;
    return h(
      'article',
      { class: 'consent-item', id: o.id, 'aria-labelledby': titleId },
      h('p', { class: 'kind' }, o.kind),
      h('h3', { id: titleId }, o.title),
      ...o.lines.filter((l): l is Bilingual => l !== null).map((l) => h('p', {}, l)),
      outcome.el,
      h('div', { class: 'actions' }, yes, no, confirmNo),
    );
  }

  /** Runs one action: the button is disabled meanwhile; on failure the typed text stays and the reason is shown. */
  async function act(btn: HTMLButtonElement, outcome: Outcome, run: () => Promise<Bilingual>, reload = false, after?: () => void): Promise<void> {
    outcome.clear();
    btn.disabled = true;
    try {
      const done = await run();
      after?.();
      if (reload) await load();
      outcome.ok(done);
      top.ok(done);
    } catch (err) {
      outcome.fail(err instanceof ApiFailure || err instanceof CryptoFailure ? err : new CryptoFailure('crypto_failed', String(err)));
    } finally {
      btn.disabled = false;
    }
  }

  async function sealedNote(kind: 'incident' | 'checkin' | 'alert', id: string, note: string): Promise<{ note?: string }> {
    return note.trim() ? { note: await crypto({ op: 'seal', value: { text: note.trim() }, ad: caseReportNoteAd(kind, id) }) } : {};
  }

  // --- messages --------------------------------------------------------------------------
  const reply = textField({ label: L('reply'), multiline: true, required: true });
  reply.input.id = 'reply';
  reply.wrap.querySelector('label')?.setAttribute('for', 'reply');
  const replyOutcome = new Outcome();
  const sendReply = h('button', { type: 'submit', class: 'primary' }, L('sendMessage'));
  const replyForm = h('form', { novalidate: true }, reply.wrap, replyOutcome.el, sendReply);
  replyForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!reply.check()) return replyOutcome.failWith(L('fixErrors'));
    void act(
      sendReply,
      replyOutcome,
      async () => {
        const id = uuid();
        const body = await crypto({ op: 'seal', value: { text: reply.input.value.trim() }, ad: messageBodyAd(id, D) });
        await call('POST', `${base}/messages`, { id, body, keyEpoch });
        return L('messageSent');
      },
      true,
      () => (reply.input.value = ''),
    );
  });

  // --- check-in --------------------------------------------------------------------------
  const checkinChoice = choiceField({ kind: 'radio', label: L('howAreYou'), options: [{ code: 'ok', ...L('checkinOk') }, { code: 'need_contact', ...L('checkinContact') }], initial: 'ok', required: true });
  const checkinNote = textField({ label: L('note'), multiline: true });
  const checkinOutcome = new Outcome();
  const sendCheckin = h('button', { type: 'submit', class: 'primary' }, L('sendCheckin'));
  const checkinForm = h('form', { novalidate: true, id: 'checkin' }, checkinChoice.wrap, checkinNote.wrap, checkinOutcome.el, sendCheckin);
  checkinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(
      sendCheckin,
      checkinOutcome,
      async () => {
        const id = uuid();
        await call('POST', `${base}/checkins`, { id, code: checkinChoice.values()[0] ?? 'ok', ...(await sealedNote('checkin', id, checkinNote.input.value)) });
        return L('checkinSent');
      },
      true,
      () => (checkinNote.input.value = ''),
    );
  });

  // --- incident --------------------------------------------------------------------------
  const incidentType = selectField({ label: L('incidentType'), options: lists.threatType ?? ([] as CodeLabel[]) });
  const incidentNote = textField({ label: L('incidentNote'), multiline: true, required: true });
  const incidentOutcome = new Outcome();
  const sendIncident = h('button', { type: 'submit', class: 'primary' }, L('sendIncident'));
  const incidentForm = h('form', { novalidate: true, id: 'incident' }, incidentType.wrap, incidentNote.wrap, incidentOutcome.el, sendIncident);
  incidentForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!incidentNote.check()) return incidentOutcome.failWith(L('fixErrors'));
    void act(
      sendIncident,
      incidentOutcome,
      async () => {
        const id = uuid();
        const code = incidentType.input.value;
        await call('POST', `${base}/incidents`, { id, ...(code ? { code } : {}), ...(await sealedNote('incident', id, incidentNote.input.value)) });
        return L('incidentSent');
      },
      true,
      () => {
        incidentNote.input.value = '';
        incidentType.input.value = '';
      },
    );
  });

  // --- alert -----------------------------------------------------------------------------
  const alertNote = textField({ label: L('alertNote'), multiline: true });
  const alertOutcome = new Outcome();
  const confirmAlert = button(L('confirmAlert'), { class: 'danger', hidden: true });
  const raise = button(L('raiseAlert'), {
    class: 'danger',
    onclick: () => {
      confirmAlert.hidden = false;
      confirmAlert.focus();
    },
  });
  confirmAlert.addEventListener('click', () =>
    void act(
      confirmAlert,
      alertOutcome,
      async () => {
        const id = uuid();
        await call('POST', `${base}/alerts`, { id, ...(await sealedNote('alert', id, alertNote.input.value)) });
        return L('alertSent');
      },
      false,
      () => {
        alertNote.input.value = '';
        confirmAlert.hidden = true;
      },
    ),
  );

  const refresh = button(L('refresh'), { class: 'secondary', onclick: () => void load() });
  const close = button(L('close'), {
    class: 'secondary',
    onclick: () => {
      void api('POST', '/v1/auth/logout', {}).catch(() => undefined);
      setToken(null);
      void crypto({ op: 'forget' }).catch(() => undefined);
      onClose();
    },
  });

  const view = h(
    'div',
    { class: 'case-view' },
    h('h1', { id: 'case-title', tabindex: '-1' }, L('caseTitle')),
    top.el,
    busy,
    h('section', { class: 'card alert-card', 'aria-labelledby': 'alert-title', id: 'alert' }, h('h2', { id: 'alert-title' }, L('alertTitle')), h('p', {}, L('alertIntro')), alertNote.wrap, alertOutcome.el, h('div', { class: 'actions' }, raise, confirmAlert)),
    statusBox,
    consentBox,
    h('section', { class: 'card', 'aria-labelledby': 'messages-title' }, h('h2', { id: 'messages-title' }, L('messages')), messagesList, replyForm),
    deadlinesBox,
    noticesBox,
    h('section', { class: 'card', 'aria-labelledby': 'checkin-title' }, h('h2', { id: 'checkin-title' }, L('checkinTitle')), checkinForm),
    h('section', { class: 'card', 'aria-labelledby': 'incident-title' }, h('h2', { id: 'incident-title' }, L('incidentTitle')), incidentForm),
    h('div', { class: 'actions' }, refresh, close),
  );
  void load();
  return view;
}

