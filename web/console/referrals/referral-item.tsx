/**
 * One referral of the case: recipient, purpose, state, shared fields and how many evidence files
 * it carries, consent, its deadlines, and what may be done at its stage — record the defender's
 * oral answer (with an attestation), seal and send the packet (fields and files) to the
 * organisation's current key (pinned at first use), withdraw it with a reason, read the
 * partner's reports (their notes opened in the worker).
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, lang, t } from '../i18n.js';
import { KeyTrust } from '../keys/key-trust.js';
import { catalogues } from '../ui/catalogues.js';
import { Problem } from '../ui/problem.js';
import { ReasonForm } from '../ui/reason-form.js';
import { ReferralDeadlines } from './referral-deadlines.js';
import { ReferralReportList, type OpenedReport } from './referral-report-list.js';
import { currentOrgKey, readReports, sendPacket, type OrgKey, type Referral } from './referral-packet.js';
import { FormButtons, useCommand, useFocusFirst } from '../ui/command-form.js';
import { TextArea } from '../ui/choices.js';

type Deadline = ResponseOf<'listCaseDeadlines'>['items'][number];
type Open = 'consent' | 'send' | 'withdraw' | 'reports' | null;

const pick = (labels: { fr: string; en: string }): string => (lang.value === 'fr' ? labels.fr : labels.en);

function fieldLabel(r: Referral, field: string): string {
  const labels = r.fieldLabels?.find((l) => l.field === field);
  return labels ? pick(labels) : t(`case.field.${field}`);
}

function consentKey(r: Referral): string {
  if (r.state === 'refused') return 'refused';
  return r.consentBasis ?? 'none';
}

interface ItemProps {
  caseId: string;
  referral: Referral;
  deadlines: Deadline[];
  onChanged: (message: string) => void;
}

export function ReferralItem({ caseId, referral: r, deadlines, onChanged }: ItemProps) {
  const [open, setOpen] = useState<Open>(null);
  const id = useId();
  const toggle = (what: Exclude<Open, null>) => setOpen((now) => (now === what ? null : what));
  const done = (message: string) => {
    setOpen(null);
    onChanged(message);
  };
  const mayReport = r.state === 'accepted' || r.state === 'closed';
  // The commands the API lists as allowed to this person now, never a rule of the page's own.
  const allowed = (command: string) => (r.actions ?? []).some((a) => a.command === command && a.allowed);
  const buttons: Array<{ open: Exclude<Open, null>; shown: boolean; label: string }> = [
    { open: 'consent', shown: allowed('consent'), label: t('referrals.recordConsent') },
    { open: 'send', shown: allowed('send'), label: t('referrals.send') },
    { open: 'reports', shown: mayReport, label: t('referrals.reports') },
    { open: 'withdraw', shown: allowed('withdraw'), label: t('referrals.withdraw') },
  ];
  return (
    <li class="card referral" data-referral={r.id} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>
        {r.orgName} · {pick(r.purposeLabel)}
      </h3>
      <dl class="meta">
        <dt>{t('referrals.state')}</dt>
        <dd data-state={r.state}>{t(`referrals.state.${r.state}`)}</dd>
        <dt>{t('referrals.fields')}</dt>
        <dd>{r.fields.map((f) => fieldLabel(r, f)).join(', ')}</dd>
        {(r.files?.length ?? 0) > 0 && (
          <>
            <dt>{t('referrals.filesShared')}</dt>
            <dd data-files={r.files!.length}>{r.files!.length === 1 ? t('referrals.fileCount.one') : t('referrals.fileCount.other', { count: r.files!.length })}</dd>
          </>
        )}
        <dt>{t('referrals.consent')}</dt>
        <dd data-consent={consentKey(r)}>
          {t(`referrals.consent.${consentKey(r)}`)}
          {r.consentAt && ` · ${formatDateTime(r.consentAt)}`}
        </dd>
        {r.sentAt && (
          <>
            <dt>{t('referrals.sentAt')}</dt>
            <dd>{formatDateTime(r.sentAt)}</dd>
          </>
        )}
        {r.endedAt && (
          <>
            <dt>{t('referrals.endedAt')}</dt>
            <dd>
              {formatDateTime(r.endedAt)}
              {r.endReason && ` · ${r.endReason}`}
            </dd>
          </>
        )}
      </dl>
      <ReferralDeadlines referralId={r.id} deadlines={deadlines} />
      <ul class="actions action-list">
        {buttons
          .filter((b) => b.shown)
          .map((b) => (
            <li key={b.open}>
              <button type="button" aria-expanded={open === b.open} onClick={() => toggle(b.open)}>
                {b.label}
              </button>
            </li>
          ))}
      </ul>
      {open === 'consent' && <ConsentForm referral={r} onDone={done} onCancel={() => setOpen(null)} />}
      {open === 'send' && <SendForm caseId={caseId} referral={r} onDone={done} onCancel={() => setOpen(null)} />}
      {open === 'withdraw' && (
        <ReasonForm
          title={t('referrals.withdraw')}
          level={4}
          hint={t('referrals.withdrawHint')}
          confirm={t('referrals.withdrawConfirm')}
          onCancel={() => setOpen(null)}
          send={async (reason) => {
            await call('withdrawReferral', { params: { referralId: r.id }, body: { reason } });
            done(t('referrals.withdrawn'));
          }}
        />
      )}
      {open === 'reports' && <Reports referral={r} />}
    </li>
  );
}

interface FormProps {
  referral: Referral;
  onDone: (message: string) => void;
  onCancel: () => void;
}

/** The defender answered orally (a call, a visit): the officer records it with how and when it was taken. */
function ConsentForm({ referral, onDone, onCancel }: FormProps) {
  const channels = catalogues.value?.intake['consentChannel'] ?? [];
  const [decision, setDecision] = useState<'consent' | 'refuse'>('consent');
  const [channel, setChannel] = useState(channels[0]?.code ?? 'phone_call');
  const [statement, setStatement] = useState('');
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useFocusFirst();

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (statement.trim().length < 3) return setError('statement_required');
    await run(async () => {
      await call('consentToReferral', { params: { referralId: referral.id }, body: { decision, attestation: { channel, takenAt: new Date().toISOString(), statement: statement.trim() } } });
      onDone(decision === 'consent' ? t('referrals.consentRecorded') : t('referrals.refusalRecorded'));
    });
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h4 id={`${id}-title`}>{t('referrals.recordConsent')}</h4>
      <p class="hint">{t('referrals.consentHint')}</p>
      <div class="field">
        <label for={`${id}-decision`}>{t('referrals.decision')}</label>
        <select id={`${id}-decision`} value={decision} onChange={(e) => setDecision(e.currentTarget.value === 'refuse' ? 'refuse' : 'consent')}>
          <option value="consent">{t('referrals.decision.consent')}</option>
          <option value="refuse">{t('referrals.decision.refuse')}</option>
        </select>
      </div>
      <div class="field">
        <label for={`${id}-channel`}>{t('referrals.channel')}</label>
        <select id={`${id}-channel`} value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
          {channels.map((c) => (
            <option key={c.code} value={c.code}>
              {pick(c)}
            </option>
          ))}
        </select>
      </div>
      <TextArea label={t('referrals.statement')} hint={t('referrals.statementHint')} rows={3} maxLength={500} value={statement} onValue={setStatement} />
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('referrals.recordConsentConfirm')} onCancel={onCancel} />
    </form>
  );
}

/** The packet, sealed in the worker to the organisation's current key once that key is trusted. */
function SendForm({ caseId, referral, onDone, onCancel }: FormProps & { caseId: string }) {
  const [key, setKey] = useState<OrgKey | null>(null);
  const [trusted, setTrusted] = useState(false);
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    currentOrgKey(referral.orgId ?? '').then(setKey, (err: unknown) => setError(codeOf(err)));
  }, [referral.orgId]);
  useEffect(() => {
    if (key) form.current?.querySelector<HTMLElement>('input, button[type="submit"]')?.focus();
  }, [key]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (!key) return;
    // Nothing is sealed to a key other than the pinned one until the person said they checked it.
    if (!trusted) return setError('key_not_confirmed');
    await run(async () => {
      await sendPacket(caseId, referral, key);
      onDone(t('referrals.sent', { org: referral.orgName }));
    });
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h4 id={`${id}-title`}>{t('referrals.send')}</h4>
      <p class="hint">{t('referrals.sendHint', { org: referral.orgName })}</p>
      {key ? <KeyTrust subject={`org:${referral.orgId ?? ''}`} keyId={key.keyId} fingerprint={key.fingerprint} onTrusted={setTrusted} /> : !error && <p aria-busy="true">{t('case.loading')}</p>}
      <Problem code={error} />
      <FormButtons busy={busy || !key} confirm={t('referrals.sendConfirm')} onCancel={onCancel} />
    </form>
  );
}

function Reports({ referral }: { referral: Referral }) {
  const [reports, setReports] = useState<OpenedReport[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    readReports(referral.id).then(setReports, (err: unknown) => setError(codeOf(err)));
  }, [referral.id]);
  if (error) return <Problem code={error} />;
  if (!reports) return <p aria-busy="true">{t('case.loading')}</p>;
  if (reports.length === 0) return <p>{t('referrals.noReports')}</p>;
  return (
    <ReferralReportList
      reports={reports}
      cards
      unopened={
        <p class="alert alert-error" role="alert">
          {t('referrals.reportUnopened')}
        </p>
      }
    />
  );
}
