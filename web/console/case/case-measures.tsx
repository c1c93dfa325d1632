/**
 * The protective measures of a case: each with its status, the defender's answer and the
 * supervisor's decision, its sealed details opened in the worker; a proposal from the catalogue
 * when getCaseActions allows `propose_measure`; and, per measure, exactly the commands the API
 * lists as allowed for the caller (four eyes and every state rule are the service's own checks).
 */
import { useEffect, useState } from 'preact/hooks';
import { measureDetailsAd } from '../../../src/sdk/crypto/associated-data.js';
import { call, codeOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { formatDateTime, t } from '../i18n.js';
import { Icon } from '../ui/badges.js';
import { loadCatalogues } from '../ui/catalogues.js';
import { Problem } from '../ui/problem.js';
import { useLatestRequest } from '../ui/use-latest-request.js';
import type { OpenedCase } from './case-key.js';
import { CommandForm, ConsentForm, ProposeForm } from './measure-forms.js';
import { consentText, decisionText, detailsText, measureName, staffText, type CatalogueEntry, type Measure, type MeasureCommand } from './measure-words.js';
import type { Actions } from './case-actions.js';

/** What a form is open for: a proposal, or a command on one measure. */
type Open = { kind: 'propose' } | { kind: 'command'; measureId: string; command: MeasureCommand } | null;

/** A measure's details: absent, withheld from this reader, opened, or not opening with the case key. */
type Details = { kind: 'none' } | { kind: 'withheld' } | { kind: 'closed' } | { kind: 'text'; text: string } | { kind: 'unopened' };

export function CaseMeasures({ caseId, opened, actions, onChanged }: { caseId: string; opened: OpenedCase | null; actions: Actions | null; onChanged: () => void }) {
  const [items, setItems] = useState<Measure[] | null>(null);
  const [details, setDetails] = useState<Record<string, Details>>({});
  const [catalogue, setCatalogue] = useState<CatalogueEntry[]>([]);
  const [open, setOpen] = useState<Open>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  // Only the latest load is shown: one started before the case key opened may answer after the next.
  const begin = useLatestRequest();
  const load = async () => {
    const current = begin();
    const list = await call('listCaseMeasures', { params: { caseId } });
    const opens = await openDetails(caseId, list.items, opened !== null);
    if (!current()) return;
    setItems(list.items);
    setDetails(opens);
  };

  useEffect(() => {
    setItems(null);
    setOpen(null);
    setError(null);
    setStatus(null);
    call('getMeasureCatalogue').then((c) => setCatalogue(c.items), (err: unknown) => setError(codeOf(err)));
    void loadCatalogues().catch(() => undefined);
  }, [caseId]);

  // Again once the case key is open (the details open only then), and after the case changed.
  useEffect(() => {
    load().catch((err: unknown) => setError(codeOf(err)));
  }, [caseId, opened, actions]);
  const canPropose = actions?.commands.some((c) => c.command === 'propose_measure' && c.allowed) ?? false;

  const done = (message: string) => {
    setOpen(null);
    setStatus(message);
    onChanged();
    load().catch((err: unknown) => setError(codeOf(err)));
  };
  const start = (next: Open) => {
    setStatus(null);
    setError(null);
    setOpen(next);
  };

  return (
    <section aria-labelledby="case-measures" class="card case-measures">
      <h2 id="case-measures">{t('measures.title')}</h2>
      <Problem code={error} />
      {items === null ? (
        <p aria-busy="true">{t('case.loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('measures.empty')}</p>
      ) : (
        <ol class="measure-list">
          {items.map((m) => (
            <MeasureItem key={m.id} m={m} name={measureName(m.code, catalogue)} details={details[m.id] ?? { kind: 'none' }} open={open} onStart={start} onDone={done} />
          ))}
        </ol>
      )}
      {canPropose && catalogue.length > 0 && (
        <p class="actions">
          <button type="button" data-command="propose_measure" aria-expanded={open?.kind === 'propose'} onClick={() => start({ kind: 'propose' })}>
            {t('measures.propose')}
          </button>
        </p>
      )}
      {open?.kind === 'propose' && <ProposeForm caseId={caseId} keyEpoch={opened?.keyEpoch ?? null} catalogue={catalogue} onDone={done} onCancel={() => setOpen(null)} />}
      <p role="status">{status ?? ''}</p>
    </section>
  );
}

/** Opens the sealed details of every measure in one call to the worker (the case key must be open there). */
async function openDetails(caseId: string, items: Measure[], keyOpen: boolean): Promise<Record<string, Details>> {
  const out: Record<string, Details> = {};
  const sealed = items.filter((m) => m.details !== null);
  for (const m of items) out[m.id] = m.details !== null ? { kind: 'closed' } : m.sealedWithheld ? { kind: 'withheld' } : { kind: 'none' };
  if (!keyOpen || sealed.length === 0) return out;
  const texts = await crypto({ op: 'open', caseId, items: sealed.map((m) => ({ sealed: m.details!, ad: measureDetailsAd(m.id) })) });
  sealed.forEach((m, i) => (out[m.id] = texts[i] == null ? { kind: 'unopened' } : { kind: 'text', text: detailsText(texts[i]) }));
  return out;
}

function DetailsView({ details }: { details: Details }) {
  switch (details.kind) {
    case 'none':
      return <p class="muted">{t('measures.noDetails')}</p>;
    case 'withheld':
      return <p class="muted">{t('measures.withheld')}</p>;
    case 'closed':
      return <p class="muted">{t('measures.detailsClosed')}</p>;
    case 'unopened':
      return (
        <p class="alert alert-error" role="alert">
          <Icon shape="triangle" /> {t('measures.unopened')}
        </p>
      );
    case 'text':
      return <p class="measure-details">{details.text}</p>;
  }
}

function MeasureItem({ m, name, details, open, onStart, onDone }: { m: Measure; name: string; details: Details; open: Open; onStart: (o: Open) => void; onDone: (message: string) => void }) {
  const allowed = (m.actions ?? []).filter((a) => a.allowed).map((a) => a.command);
  const mine = open?.kind === 'command' && open.measureId === m.id ? open.command : null;
  const decision = decisionText(m);
  const cancel = () => onStart(null);
  return (
    <li class="measure" data-measure-id={m.id} data-status={m.status}>
      <h3>{name}</h3>
      <p class="badges">
        <span class="badge">{t(`measures.status.${m.status}`)}</span>
        {m.urgent && (
          <span class="badge badge-urgent">
            <Icon shape="triangle" />
            {t('measures.urgentTrack')}
          </span>
        )}
      </p>
      <dl class="meta">
        <dt>{t('measures.implementer')}</dt>
        <dd>{t(`measures.implementer.${m.implementer}`)}</dd>
        <dt>{t('measures.proposedAt')}</dt>
        <dd>{t('measures.byAt', { by: staffText(m.proposedBy), at: formatDateTime(m.proposedAt) })}</dd>
        <dt>{t('measures.consent')}</dt>
        <dd>
          {consentText(m)}
          {m.consentAttestation && <span class="reason"> « {m.consentAttestation.statement} »</span>}
        </dd>
        {decision && (
          <>
            <dt>{t('measures.decision')}</dt>
            <dd>
              {decision}
              {m.decisionReason && <span class="reason"> « {m.decisionReason} »</span>}
            </dd>
          </>
        )}
        {m.startsAt && m.endsAt && (
          <>
            <dt>{t('measures.period')}</dt>
            <dd>{t('measures.fromTo', { from: formatDateTime(m.startsAt), to: formatDateTime(m.endsAt) })}</dd>
          </>
        )}
        {m.endedAt && (
          <>
            <dt>{t('measures.ended')}</dt>
            <dd>
              {t('measures.byAt', { by: m.endedBy ? staffText(m.endedBy) : t('measures.system'), at: formatDateTime(m.endedAt) })}
              {m.endReason && <span class="reason"> « {m.endReason} »</span>}
            </dd>
          </>
        )}
        <dt>{t('measures.details')}</dt>
        <dd>
          <DetailsView details={details} />
        </dd>
      </dl>
      {allowed.length > 0 && (
        <ul class="actions action-list">
          {allowed.map((command) => (
            <li key={command}>
              <button type="button" data-command={command} aria-expanded={mine === command} onClick={() => onStart({ kind: 'command', measureId: m.id, command })}>
                {t(`measures.command.${command}`)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {mine === 'consent' && <ConsentForm measure={m} name={name} onDone={onDone} onCancel={cancel} />}
      {mine !== null && mine !== 'consent' && <CommandForm key={mine} measure={m} command={mine} name={name} onDone={onDone} onCancel={cancel} />}
    </li>
  );
}
