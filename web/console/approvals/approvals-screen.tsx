/**
 * The supervisors' approvals (GET /v1/approvals): measures awaiting a decision or a confirmation,
 * and appeals to rule on, across cases. Each item shows its case and lets the supervisor read the
 * assessment (or the grounds) before deciding with a reason; a button shows only for what the
 * API says the caller may do, so never on their own proposal nor on an appeal of their own decision.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, hasText, t } from '../i18n.js';
import { measureName, staffText, type CatalogueEntry } from '../case/measure-words.js';
import { RiskBadge, UrgentBadge } from '../ui/badges.js';
import { Choices } from '../ui/choices.js';
import { Problem } from '../ui/problem.js';
import { ReasonForm } from '../ui/reason-form.js';
import { AssessmentPanel, GroundsPanel } from './approval-panels.js';

type Listed = ResponseOf<'listApprovals'>;
type PendingMeasure = Listed['measures'][number];
type PendingAppeal = Listed['appeals'][number];
type Command = PendingMeasure['actions'][number]['command'];

const subjectText = (subject: string): string => (hasText(`approvals.subject.${subject}`) ? t(`approvals.subject.${subject}`) : subject);
const commandText = (c: Command): string => (c === 'approve' ? t('approvals.approve') : c === 'reject' ? t('approvals.reject') : c === 'confirm' ? t('approvals.confirm') : t('approvals.decide'));

export function Approvals() {
  const [listed, setListed] = useState<Listed | null>(null);
  const [catalogue, setCatalogue] = useState<CatalogueEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const load = () => call('listApprovals').then(setListed, (err: unknown) => setError(codeOf(err)));
  useEffect(() => {
    void load();
    call('getMeasureCatalogue').then((c) => setCatalogue(c.items), () => undefined);
  }, []);
  const done = (message: string) => {
    setStatus(message);
    void load();
  };

  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">{t('approvals.title')}</h1>
      <p>{t('approvals.intro')}</p>
      <Problem code={error} />
      <p role="status">{status ?? ''}</p>
      <h2>{t('approvals.measures')}</h2>
      {!listed ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : listed.measures.length === 0 ? (
        <p>{t('approvals.noMeasure')}</p>
      ) : (
        <ul class="approvals">
          {listed.measures.map((m) => (
            <MeasureItem key={m.id} m={m} catalogue={catalogue} onDone={done} />
          ))}
        </ul>
      )}
      <h2>{t('approvals.appeals')}</h2>
      {!listed ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : listed.appeals.length === 0 ? (
        <p>{t('approvals.noAppeal')}</p>
      ) : (
        <ul class="approvals">
          {listed.appeals.map((a) => (
            <AppealItem key={a.id} a={a} onDone={done} />
          ))}
        </ul>
      )}
    </section>
  );
}

function CaseLine({ item }: { item: PendingMeasure | PendingAppeal }) {
  return (
    <p>
      <a href={`/console/cases/${item.caseId}`}>{t('approvals.case', { reference: item.reference })}</a> · <RiskBadge level={item.riskLevel} />
      {item.caseUrgent && (
        <>
          {' '}
          <UrgentBadge />
        </>
      )}
    </p>
  );
}

/** Why no button shows: a four-eyes refusal in plain words. */
function NotYours({ actions, words }: { actions: PendingMeasure['actions']; words: string }) {
  if (actions.some((a) => a.allowed)) return null;
  const code = actions[0]?.refusal ?? null;
  return code === 'separation_of_duties' ? <p class="hint">{words}</p> : <Problem code={code} />;
}

function MeasureItem({ m, catalogue, onDone }: { m: PendingMeasure; catalogue: CatalogueEntry[]; onDone: (message: string) => void }) {
  const [reading, setReading] = useState(false);
  const [open, setOpen] = useState<Command | null>(null);
  const name = measureName(m.code, catalogue);
  return (
    <li class="card approval" data-measure-id={m.id}>
      <h3>
        {name}
        {m.urgent && (
          <>
            {' '}
            <UrgentBadge />
          </>
        )}
      </h3>
      <CaseLine item={m} />
      <p>
        {m.awaiting === 'decision' ? t('approvals.awaitingDecision') : t('approvals.awaitingConfirmation')} ·{' '}
        {t('approvals.proposedBy', { who: staffText(m.proposedBy) })} <time dateTime={m.proposedAt}>{formatDateTime(m.proposedAt)}</time>
      </p>
      <p>
        <button type="button" aria-expanded={reading} onClick={() => setReading(!reading)}>
          {t('approvals.readAssessment')} <span class="visually-hidden">{t('approvals.case', { reference: m.reference })}</span>
        </button>
      </p>
      {reading && <AssessmentPanel caseId={m.caseId} />}
      <NotYours actions={m.actions} words={t('approvals.ownProposal')} />
      <p class="actions">
        {m.actions
          .filter((a) => a.allowed)
          .map((a) => (
            <button key={a.command} type="button" data-command={a.command} aria-expanded={open === a.command} onClick={() => setOpen(a.command)}>
              {commandText(a.command)}
            </button>
          ))}
      </p>
      {open && (
        <ReasonForm
          key={open}
          confirm={t('approvals.confirmCommand', { name: commandText(open) })}
          onCancel={() => setOpen(null)}
          send={async (reason) => {
            if (open === 'confirm') await call('confirmMeasure', { params: { measureId: m.id }, body: { reason } });
            else await call('decideMeasure', { params: { measureId: m.id }, body: { decision: open === 'reject' ? 'reject' : 'approve', reason } });
            onDone(t('approvals.measureDone', { name, command: commandText(open), reference: m.reference }));
          }}
        />
      )}
    </li>
  );
}

function AppealItem({ a, onDone }: { a: PendingAppeal; onDone: (message: string) => void }) {
  const [reading, setReading] = useState(false);
  const [open, setOpen] = useState(false);
  const [outcome, setOutcome] = useState<'upheld' | 'dismissed'>('dismissed');
  return (
    <li class="card approval" data-appeal-id={a.id}>
      <h3>{t('approvals.appealOf', { subject: subjectText(a.subject) })}</h3>
      <CaseLine item={a} />
      <p>
        {t('approvals.filedAt')} <time dateTime={a.filedAt}>{formatDateTime(a.filedAt)}</time> · {t('approvals.decidedBy', { who: staffText(a.deciderId) })}
      </p>
      <p>
        <button type="button" aria-expanded={reading} onClick={() => setReading(!reading)}>
          {t('approvals.readGrounds')} <span class="visually-hidden">{t('approvals.case', { reference: a.reference })}</span>
        </button>
      </p>
      {reading && <GroundsPanel caseId={a.caseId} appealId={a.id} />}
      <NotYours actions={a.actions} words={t('approvals.ownDecision')} />
      {a.actions.some((x) => x.allowed) && (
        <p class="actions">
          <button type="button" data-command="decide" aria-expanded={open} onClick={() => setOpen(true)}>
            {t('approvals.decide')}
          </button>
        </p>
      )}
      {open && (
        <ReasonForm
          confirm={t('approvals.confirmCommand', { name: t('approvals.decide') })}
          onCancel={() => setOpen(false)}
          send={async (reason) => {
            await call('decideAppeal', { params: { appealId: a.id }, body: { outcome, reason } });
            onDone(t('approvals.appealDone', { outcome: outcome === 'upheld' ? t('approvals.upheld') : t('approvals.dismissed'), reference: a.reference }));
          }}
        >
          <Choices legend={t('approvals.outcome')} kind="radio" options={[{ code: 'upheld', label: t('approvals.upheld') }, { code: 'dismissed', label: t('approvals.dismissed') }]} chosen={[outcome]} onChosen={(v) => setOutcome(v[0] === 'upheld' ? 'upheld' : 'dismissed')} />
        </ReasonForm>
      )}
    </li>
  );
}
