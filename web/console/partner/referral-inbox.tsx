/**
 * A partner organisation's inbox: the referrals sent to it, newest first, each with its state
 * and its open deadline (the response, then the reports), and a link to open it. A withdrawn
 * referral stays listed as withdrawn. Nothing of the case: the API gives the partner its
 * referrals and their deadlines without the case's id or reference.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf } from '../api.js';
import { formatDateTime, lang, t } from '../i18n.js';
import { ReferralDeadlines } from '../referrals/referral-deadlines.js';
import { Problem } from '../ui/problem.js';
import type { Deadline, PartnerReferral } from './partner-packet.js';

const pick = (labels: { fr: string; en: string } | undefined, code: string): string => (labels ? (lang.value === 'fr' ? labels.fr : labels.en) : code);

export function ReferralInbox() {
  const [items, setItems] = useState<PartnerReferral[] | null>(null);
  const [deadlines, setDeadlines] = useState<Deadline[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([call('listReferrals', { query: { limit: '100' } }), call('listDeadlines', { query: { limit: '100' } })]).then(
      ([r, d]) => {
        setItems(r.items);
        setDeadlines(d.items);
      },
      (err: unknown) => setError(codeOf(err)),
    );
  }, []);

  return (
    <section aria-labelledby="inbox-title" class="partner-inbox">
      <h1 id="inbox-title">{t('partner.inbox.title')}</h1>
      <p>{t('partner.inbox.intro')}</p>
      <p>
        <a href="/console/organisation">{t('partner.inbox.keyringLink')}</a>
      </p>
      <Problem code={error} />
      {!items && !error && <p aria-busy="true">{t('case.loading')}</p>}
      {items && items.length === 0 && <p>{t('partner.inbox.empty')}</p>}
      {items && items.length > 0 && (
        <ul class="referral-inbox">
          {items.map((r) => (
            <li key={r.id} class="card" data-referral={r.id}>
              <h2>
                <a href={`/console/referrals/${r.id}`}>{t('partner.inbox.item', { purpose: pick(r.purposeLabel, r.purpose), at: r.sentAt ? formatDateTime(r.sentAt) : '' })}</a>
              </h2>
              <dl class="meta">
                <dt>{t('referrals.state')}</dt>
                <dd data-state={r.state}>{t(`referrals.state.${r.state}`)}</dd>
                <dt>{t('referrals.fields')}</dt>
                <dd>{r.fields.map((f) => t(`case.field.${f}`)).join(', ')}</dd>
              </dl>
              <ReferralDeadlines referralId={r.id} deadlines={deadlines} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
