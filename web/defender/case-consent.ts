/**
 * What awaits the defender's consent: measures the team proposes (their sealed details opened in
 * the crypto worker, with the catalogue's warning) and referrals to another organisation (who,
 * why, and which fields would be shared). A refusal is confirmed by a second button.
 */
import { crypto } from './crypto-client.js';
import { append, h, type Child } from './dom.js';
import { L, same, type Bilingual } from './i18n.js';
import { measureDetailsAd } from '../../src/sdk/crypto/associated-data.js';
import { button, Outcome } from './ui.js';
import { openedText, type CaseContext } from './case-context.js';
import type { ResponseOf } from './api.js';

export type Measure = ResponseOf<'listCaseMeasures'>['items'][number];
export type CatalogueEntry = ResponseOf<'getMeasureCatalogue'>['items'][number];
export type Referral = ResponseOf<'listCaseReferrals'>['items'][number];

type Decision = 'consent' | 'refuse';

export function caseConsent({ call, act }: CaseContext): { el: HTMLElement; render(measures: Measure[], catalogue: CatalogueEntry[], referrals: Referral[]): Promise<void> } {
  const el = h('section', { class: 'card', 'aria-labelledby': 'consent-title', id: 'consent' });

  /** Only what is still asked of the defender: proposed measures not yet answered, referrals awaiting consent. */
  async function render(allMeasures: Measure[], catalogueItems: CatalogueEntry[], allReferrals: Referral[]): Promise<void> {
    const measures = allMeasures.filter((m) => m.status === 'proposed' && m.consentAt === null);
    const catalogue = new Map(catalogueItems.map((c) => [c.code, c]));
    const referrals = allReferrals.filter((r) => r.state === 'awaiting_consent');
    const details = await crypto({ op: 'open', items: measures.filter((m) => m.details).map((m) => ({ sealed: m.details!, ad: measureDetailsAd(m.id) })) });
    let di = 0;
    const cards: Child[] = [];
    for (const m of measures) {
      const entry = catalogue.get(m.code);
      const detail = m.details ? openedText(details[di++] ?? null) : null;
      cards.push(
        consentCard({
          id: `measure-${m.id}`,
          kind: L('measure'),
          title: entry ? entry.label : same(m.code),
          lines: [detail ? same(detail) : null, entry?.warning ?? null],
          answer: (decision) => call('consentToMeasure', { params: { measureId: m.id }, body: { decision } }),
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
          answer: (decision) => call('consentToReferral', { params: { referralId: r.id }, body: { decision } }),
        }),
      );
    }
    el.replaceChildren(h('h2', { id: 'consent-title' }, L('consentTitle')));
    append(el, ...(cards.length ? cards : [h('p', {}, L('nothingToConsent'))]));
  }

  /** One measure or referral; the answer reloads the view, so an answered card goes away. */
  function consentCard(o: { id: string; kind: Bilingual; title: Bilingual; lines: Array<Bilingual | null>; answer(decision: Decision): Promise<unknown> }): HTMLElement {
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

  return { el, render };
}
