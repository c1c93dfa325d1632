/**
 * Where the case stands, for the defender: its state (and, when the team asked for more, the
 * button saying it was provided), the open deadlines that concern them, and what they were told
 * (notices). Nothing here is sealed; the three cards are redrawn from each load.
 */
import { append, h } from './dom.js';
import { L, dateText, ruleText, stateText, topicText } from './i18n.js';
import { button, Outcome } from './ui.js';
import type { CaseContext } from './case-context.js';
import type { ResponseOf } from './api.js';

/** The case as the defender reads it (GET /v1/cases/:caseId). */
export type CaseRead = ResponseOf<'getCase'>;
export type Notice = ResponseOf<'listCaseNotices'>['items'][number];

export function caseStatus({ transition, act }: CaseContext): { status: HTMLElement; deadlines: HTMLElement; notices: HTMLElement; render(read: CaseRead, notices: Notice[]): void } {
  const status = h('section', { class: 'card', 'aria-labelledby': 'status-title' });
  const deadlines = h('section', { class: 'card', 'aria-labelledby': 'deadlines-title' });
  const notices = h('section', { class: 'card', 'aria-labelledby': 'notices-title' });

  function renderStatus(c: CaseRead['case']): void {
    status.replaceChildren(
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
            await transition('provide_info');
            return L('messageSent');
          }),
      });
      append(status, h('p', { class: 'warning' }, L('infoRequested')), outcome.el, provided);
    }
  }

  function renderDeadlines(all: CaseRead['deadlines']): void {
    const open = all.filter((d) => d.state === 'open');
    deadlines.replaceChildren(
      h('h2', { id: 'deadlines-title' }, L('deadlines')),
      open.length === 0 ? h('p', {}, L('noDeadlines')) : h('ul', { id: 'deadlines' }, ...open.map((d) => h('li', {}, ruleText(d.rule), ' — ', L('due', { date: dateText(d.dueAt) })))),
    );
  }

  function renderNotices(items: Notice[]): void {
    notices.hidden = items.length === 0;
    notices.replaceChildren(h('h2', { id: 'notices-title' }, L('notices')), h('ul', {}, ...items.map((n) => h('li', {}, topicText(n.topic, n.payload), ' ', h('span', { class: 'hint' }, '(', dateText(n.createdAt), ')')))));
  }

  return {
    status,
    deadlines,
    notices,
    render(read, items) {
      renderStatus(read.case);
      renderDeadlines(read.deadlines);
      renderNotices(items);
    },
  };
}
