/**
 * The case's referrals to partner organisations (workflow.md, Referrals): each with its state,
 * consent, deadlines and what may be done at its stage, and a form to propose one when the API
 * lists `propose_referral` for the caller. Packets are built and sealed in the crypto worker.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { ReferralItem } from '../referrals/referral-item.js';
import type { Referral } from '../referrals/referral-packet.js';
import { ReferralPropose } from '../referrals/referral-propose.js';
import { Problem } from '../ui/problem.js';
import type { OpenedCase } from './case-key.js';
import type { Actions } from './case-actions.js';

type Deadline = ResponseOf<'listCaseDeadlines'>['items'][number];

export function CaseReferrals({ caseId, opened, actions, onChanged }: { caseId: string; opened: OpenedCase | null; actions: Actions | null; onChanged: () => void }) {
  const [items, setItems] = useState<Referral[] | null>(null);
  const [deadlines, setDeadlines] = useState<Deadline[]>([]);
  const [proposing, setProposing] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = () => {
    call('listCaseReferrals', { params: { caseId } }).then((r) => setItems(r.items), (err: unknown) => setError(codeOf(err)));
    call('listCaseDeadlines', { params: { caseId } }).then((r) => setDeadlines(r.items), () => setDeadlines([]));
  };
  useEffect(() => {
    setItems(null);
    setProposing(false);
    setStatus(null);
    setError(null);
  }, [caseId]);
  // Loaded with the case's actions, again whenever the case changed (a transition, a measure).
  useEffect(() => load(), [caseId, actions]);
  const mayPropose = actions?.commands.some((c) => c.command === 'propose_referral' && c.allowed) ?? false;

  const changed = (message: string) => {
    setProposing(false);
    setStatus(message);
    onChanged();
  };

  const fieldNames = (opened?.fields ?? []).filter((f) => f.text !== null).map((f) => f.name);
  return (
    <section aria-labelledby="case-referrals" class="card">
      <h2 id="case-referrals">{t('referrals.title')}</h2>
      <Problem code={error} />
      {!items ? (
        !error && <p aria-busy="true">{t('case.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('referrals.empty')}</p>
      ) : (
        <ul class="referrals">
          {items.map((r) => (
            <ReferralItem key={`${r.id}-${r.state}`} caseId={caseId} referral={r} deadlines={deadlines} onChanged={changed} />
          ))}
        </ul>
      )}
      {mayPropose && opened && (
        <p class="actions">
          <button type="button" aria-expanded={proposing} onClick={() => (setStatus(null), setProposing(!proposing))}>
            {t('referrals.propose')}
          </button>
        </p>
      )}
      {proposing && <ReferralPropose caseId={caseId} fieldNames={fieldNames} onDone={() => changed(t('referrals.proposed'))} onCancel={() => setProposing(false)} />}
      <p role="status">{status ?? ''}</p>
    </section>
  );
}
