/**
 * One case: its metadata (with whether its alleged violation was verified), the defender's sealed fields opened in the worker, messages, evidence files, deadlines,
 * the timeline, the actions the policy allows the caller now, and the duplicate warning.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { CaseActions, type Actions } from '../case/case-actions.js';
import { CaseAssessment } from '../case/case-assessment.js';
import { CaseDeadlines } from '../case/case-deadlines.js';
import { CaseFiles } from '../case/case-files.js';
import { openCase, type OpenedCase } from '../case/case-key.js';
import { CaseMeasures } from '../case/case-measures.js';
import { CaseMessages } from '../case/case-messages.js';
import { CaseMeta } from '../case/case-meta.js';
import { CaseReports } from '../case/case-reports.js';
import { ReceiptReissue } from '../case/receipt-reissue.js';
import { CaseReferrals } from '../case/case-referrals.js';
import { CaseTimeline } from '../case/case-timeline.js';
import { CaseVerification } from '../case/case-verification.js';
import { SealedFields } from '../case/sealed-fields.js';
import { DuplicateWarning } from '../search/duplicate-warning.js';
import { loadCatalogues } from '../ui/catalogues.js';
import { BreakGlassPanel, BreakGlassWindow, breakGlassEnd } from '../approvals/break-glass-panel.js';
import { Problem } from '../ui/problem.js';
import { account } from '../session.js';

type CaseRead = ResponseOf<'getCase'>;
type Timeline = ResponseOf<'getCaseTimeline'>['items'];
type Deadlines = ResponseOf<'listCaseDeadlines'>['items'];

export function CasePage({ caseId }: { caseId: string }) {
  const [read, setRead] = useState<CaseRead | null>(null);
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [deadlines, setDeadlines] = useState<Deadlines | null>(null);
  const [opened, setOpened] = useState<OpenedCase | null>(null);
  const [sealedError, setSealedError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actions, setActions] = useState<Actions | null>(null);

  /**
   * The case's metadata, timeline, deadlines and the caller's actions on it, again after any
   * command: one read of getCaseActions that every section's buttons follow.
   */
  const loadCase = () => {
    call('getCaseActions', { params: { caseId } }).then(setActions, (err: unknown) => setError(codeOf(err)));
    call('getCase', { params: { caseId } }).then(setRead, (err: unknown) => setError(codeOf(err)));
    call('getCaseTimeline', { params: { caseId }, query: { limit: '200' } }).then((r) => setTimeline(r.items), (err: unknown) => setError(codeOf(err)));
    call('listCaseDeadlines', { params: { caseId } }).then((r) => setDeadlines(r.items), (err: unknown) => setError(codeOf(err)));
  };

  useEffect(() => {
    setRead(null);
    setActions(null);
    setOpened(null);
    setSealedError(null);
    setError(null);
    void loadCatalogues().catch(() => undefined);
    loadCase();
    openCase(caseId).then(setOpened, (err: unknown) => setSealedError(codeOf(err)));
  }, [caseId]);

  const c = read?.case;
  const staff = c && 'region' in c ? c : null;
  const overdue = (deadlines ?? []).some((d) => d.overdue);
  return (
    <article aria-labelledby="case-title">
      <h1 id="case-title">{c ? t('case.title', { reference: c.reference }) : t('case.loading')}</h1>
      <Problem code={error} />
      <DuplicateWarning caseId={caseId} />
      <nav class="case-links" aria-label={t('case.links')}>
        <a href={`/console/cases/${caseId}/notes`}>{t('case.notesLink')}</a>
        <a href={`/console/cases/${caseId}/dossier`}>{t('dossier.open')}</a>
        {account.value?.role === 'supervisor' && <a href={`/console/cases/${caseId}/access-log`}>{t('audit.accessLog.link')}</a>}
      </nav>
      {staff && (
        <section aria-labelledby="case-meta" class="card">
          <h2 id="case-meta">{t('case.meta')}</h2>
          <CaseMeta c={staff} overdue={overdue} />
          <CaseVerification caseId={caseId} current={staff.verification} actions={actions} onChanged={loadCase} />
        </section>
      )}
      <section aria-labelledby="case-actions" class="card case-actions">
        <h2 id="case-actions">{t('case.actions')}</h2>
        {actions ? <CaseActions caseId={caseId} actions={actions} onChanged={loadCase} /> : <p aria-busy="true">{t('case.loading')}</p>}
      </section>
      <section aria-labelledby="case-sealed" class="card">
        <h2 id="case-sealed">{t('case.sealed')}</h2>
        {breakGlassEnd(timeline) && <BreakGlassWindow end={breakGlassEnd(timeline)!} />}
        {sealedError === 'break_glass_required' ? (
          <BreakGlassPanel
            caseId={caseId}
            allowed={actions?.commands.some((x) => x.command === 'break_glass' && x.allowed) ?? false}
            onOpened={() => (setSealedError(null), loadCase(), openCase(caseId).then(setOpened, (err: unknown) => setSealedError(codeOf(err))))}
          />
        ) : sealedError === 'no_envelope' ? (
          <p class="alert alert-error" role="alert" data-code="no_envelope">
            {t('case.noEnvelope')}
          </p>
        ) : sealedError ? (
          <Problem code={sealedError} />
        ) : opened ? (
          <SealedFields fields={opened.fields} />
        ) : (
          <p aria-busy="true">{t('case.opening')}</p>
        )}
      </section>
      <section aria-labelledby="case-messages" class="card">
        <h2 id="case-messages">{t('case.messages')}</h2>
        {opened ? <CaseMessages caseId={caseId} keyEpoch={opened.keyEpoch} /> : <p>{sealedError ? t('messages.needKey') : t('case.opening')}</p>}
      </section>
      <CaseFiles caseId={caseId} keyEpoch={opened?.keyEpoch ?? null} actions={actions} onChanged={loadCase} />
      <CaseAssessment caseId={caseId} keyEpoch={opened?.keyEpoch ?? null} actions={actions} onChanged={loadCase} />
      <CaseMeasures caseId={caseId} opened={opened} actions={actions} onChanged={loadCase} />
      <CaseReferrals caseId={caseId} opened={opened} actions={actions} onChanged={loadCase} />
      <section aria-labelledby="case-reports" class="card">
        <h2 id="case-reports">{t('case.reports')}</h2>
        <CaseReports caseId={caseId} keyEpoch={opened?.keyEpoch ?? null} actions={actions} onChanged={loadCase} />
      </section>
      <section aria-labelledby="case-deadlines" class="card">
        <h2 id="case-deadlines">{t('case.deadlines')}</h2>
        {deadlines ? <CaseDeadlines items={deadlines} /> : <p aria-busy="true">{t('case.loading')}</p>}
      </section>
      <section aria-labelledby="case-timeline" class="card">
        <h2 id="case-timeline">{t('case.timeline')}</h2>
        {timeline ? <CaseTimeline items={timeline} /> : <p aria-busy="true">{t('case.loading')}</p>}
      </section>
      <ReceiptReissue caseId={caseId} reference={c?.reference ?? ''} actions={actions} onChanged={() => (loadCase(), openCase(caseId).then(setOpened, (err: unknown) => setSealedError(codeOf(err))))} />
    </article>
  );
}
