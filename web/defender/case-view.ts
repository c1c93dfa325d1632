/**
 * The defender's case, opened with the receipt: where it stands, the deadlines that concern them,
 * what they were told, what awaits their consent, messages (opened and sealed in the crypto
 * worker), check-in, a new incident, and the alert. Keys never leave the worker; the page keeps
 * the session token and the authKey in memory only, to log in again when the token expires.
 *
 * This module loads the case and lays the sections out; each section (case-*.ts) builds its card
 * and redraws it from what a load brought, through the context they share (case-context.ts).
 */
import { logOut } from './api.js';
import { crypto } from './crypto-client.js';
import { h } from './dom.js';
import { L } from './i18n.js';
import { button, Outcome, progress } from './ui.js';
import { caseContext } from './case-context.js';
import { caseFiles } from './case-files.js';
import { caseConsent } from './case-consent.js';
import { caseMessages } from './case-messages.js';
import { caseReports } from './case-reports.js';
import { caseStatus } from './case-status.js';
import type { Session } from './follow-receipt.js';

export function caseView(session: Session, onClose: () => void): HTMLElement {
  const top = new Outcome();
  const busy = h('div', { class: 'busy' });
  const ctx = caseContext(session, top, load);
  const { caseId, call } = ctx;
  // Built in this order on purpose: the fields' generated ids (nextId in dom.ts) follow it.
  const status = caseStatus(ctx);
  const consent = caseConsent(ctx);
  const messages = caseMessages(ctx);
  const reports = caseReports(ctx);
  const files = caseFiles(ctx);

  /** The case key first (what follows is sealed under it), then everything else at once. */
  async function load(): Promise<void> {
    const stop = progress(busy, L('loading'));
    try {
      const params = { caseId };
      const sealed = await call('getCaseSealed', { params });
      ctx.keyEpoch = sealed.keyEpoch;
      await crypto({ op: 'openCaseKey', envelopes: sealed.envelopes });
      const [read, messageList, measures, catalogue, referrals, notices, fileList] = await Promise.all([
        call('getCase', { params }),
        call('listCaseMessages', { params, query: { limit: '100' } }),
        call('listCaseMeasures', { params }),
        call('getMeasureCatalogue'),
        call('listCaseReferrals', { params }),
        call('listCaseNotices', { params, query: { limit: '20' } }),
        call('listCaseFiles', { params }),
      ]);
      status.render(read, notices.items);
      await messages.render(messageList.items);
      await consent.render(measures.items, catalogue.items, referrals.items);
      await files.render(fileList.items);
      stop();
    } catch (err) {
      stop();
      top.fail(err);
    }
  }

  const refresh = button(L('refresh'), { class: 'secondary', onclick: () => void load() });
  const close = button(L('close'), {
    class: 'secondary',
    onclick: () => {
      logOut();
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
    reports.alert,
    status.status,
    consent.el,
    messages.el,
    files.el,
    status.deadlines,
    status.notices,
    reports.checkin,
    reports.incident,
    h('div', { class: 'actions' }, refresh, close),
  );
  void load();
  return view;
}
