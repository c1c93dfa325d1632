/**
 * What the defender reports: a check-in (all is well, or call me), a new incident, and the alert.
 * Each carries an optional note sealed in the crypto worker under associated data naming the
 * report's kind and id, so a note cannot be moved onto another report. The alert asks for a
 * confirmation and does not reload the view, so its confirmation never waits on a reload.
 */
import { crypto } from './crypto-client.js';
import { h } from './dom.js';
import { L } from './i18n.js';
import { caseReportNoteAd } from '../../src/sdk/crypto/associated-data.js';
import { button, choiceField, Outcome, selectField, textField, type CodeLabel } from './ui.js';
import { actionForm, uuid, type CaseContext } from './case-context.js';

/** The three report cards, built in this order (it fixes their fields' generated ids); the view places them. */
export function caseReports({ caseId, lists, call, act }: CaseContext): { alert: HTMLElement; checkin: HTMLElement; incident: HTMLElement } {
  async function sealedNote(kind: 'incident' | 'checkin' | 'alert', id: string, note: string): Promise<{ note?: string }> {
    return note.trim() ? { note: await crypto({ op: 'seal', value: { text: note.trim() }, ad: caseReportNoteAd(kind, id) }) } : {};
  }

  // --- check-in --------------------------------------------------------------------------
  const checkinChoice = choiceField({ kind: 'radio', label: L('howAreYou'), options: [{ code: 'ok', ...L('checkinOk') }, { code: 'need_contact', ...L('checkinContact') }], initial: 'ok', required: true });
  const checkinNote = textField({ label: L('note'), multiline: true });
  const checkinForm = actionForm(act, {
    id: 'checkin',
    fields: [checkinChoice.wrap, checkinNote.wrap],
    send: L('sendCheckin'),
    run: async () => {
      const id = uuid();
      await call('checkIn', { params: { caseId }, body: { id, code: checkinChoice.values()[0] === 'need_contact' ? 'need_contact' : 'ok', ...(await sealedNote('checkin', id, checkinNote.input.value)) } });
      return L('checkinSent');
    },
    after: () => (checkinNote.input.value = ''),
  });

  // --- incident --------------------------------------------------------------------------
  const incidentType = selectField({ label: L('incidentType'), options: lists.threatType ?? ([] as CodeLabel[]) });
  const incidentNote = textField({ label: L('incidentNote'), multiline: true, required: true });
  const incidentForm = actionForm(act, {
    id: 'incident',
    fields: [incidentType.wrap, incidentNote.wrap],
    send: L('sendIncident'),
    check: incidentNote.check,
    run: async () => {
      const id = uuid();
      const code = incidentType.input.value;
      await call('reportIncident', { params: { caseId }, body: { id, ...(code ? { code } : {}), ...(await sealedNote('incident', id, incidentNote.input.value)) } });
      return L('incidentSent');
    },
    after: () => {
      incidentNote.input.value = '';
      incidentType.input.value = '';
    },
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
        await call('raiseAlert', { params: { caseId }, body: { id, ...(await sealedNote('alert', id, alertNote.input.value)) } });
        return L('alertSent');
      },
      false,
      () => {
        alertNote.input.value = '';
        confirmAlert.hidden = true;
      },
    ),
  );

  return {
    alert: h('section', { class: 'card alert-card', 'aria-labelledby': 'alert-title', id: 'alert' }, h('h2', { id: 'alert-title' }, L('alertTitle')), h('p', {}, L('alertIntro')), alertNote.wrap, alertOutcome.el, h('div', { class: 'actions' }, raise, confirmAlert)),
    checkin: h('section', { class: 'card', 'aria-labelledby': 'checkin-title' }, h('h2', { id: 'checkin-title' }, L('checkinTitle')), checkinForm),
    incident: h('section', { class: 'card', 'aria-labelledby': 'incident-title' }, h('h2', { id: 'incident-title' }, L('incidentTitle')), incidentForm),
  };
}
