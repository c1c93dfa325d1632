/**
 * The forms of the measures section: a proposal from the catalogue (its details sealed in the
 * worker under the case key, AD egide/v1/measure/<id>/details, before they leave), the defender's
 * oral answer recorded with how and when it was taken, and the reason or dates a command asks for.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { measureDetailsAd } from '../../../src/sdk/crypto/associated-data.js';
import { call, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { catalogues, intakeLabel } from '../ui/catalogues.js';
import { Field } from '../ui/field.js';
import { Problem } from '../ui/problem.js';
import { pick, type CatalogueEntry, type Measure, type MeasureCommand } from './measure-words.js';
import { FormButtons, useCommand, useFocusFirst } from '../ui/command-form.js';
import { TextArea } from '../ui/choices.js';

type Org = ResponseOf<'listOrgs'>['items'][number];

interface Done {
  onDone: (message: string) => void;
  onCancel: () => void;
}



/** A whole number of days, or null when the field is empty; NaN when it is not one. */
const daysOf = (text: string): number | null => (text.trim() === '' ? null : /^\d{1,4}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN);

export function ProposeForm({ caseId, keyEpoch, catalogue, onDone, onCancel }: Done & { caseId: string; keyEpoch: number | null; catalogue: CatalogueEntry[] }) {
  const [code, setCode] = useState(catalogue[0]?.code ?? '');
  const entry = catalogue.find((e) => e.code === code);
  const [implementer, setImplementer] = useState(entry?.implementers[0] ?? 'cndh');
  const [orgId, setOrgId] = useState('');
  const [orgs, setOrgs] = useState<Org[] | null>(null);
  const [days, setDays] = useState('');
  const [details, setDetails] = useState('');
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useFocusFirst();

  // The partner organisations that may carry a measure out, picked by name (once asked for).
  useEffect(() => {
    if (implementer === 'cndh' || orgs !== null) return;
    call('listOrgs').then((r) => setOrgs(r.items.filter((o) => o.kind === 'partner' && !o.disabledAt)), () => setOrgs([]));
  }, [implementer]);

  const choose = (next: string) => {
    setCode(next);
    const e = catalogue.find((x) => x.code === next);
    if (e && !e.implementers.includes(implementer)) setImplementer(e.implementers[0] ?? 'cndh');
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const durationDays = daysOf(days);
    if (Number.isNaN(durationDays)) return setError('days_invalid');
    if (implementer === 'partner' && !orgId.trim()) return setError('org_required');
    await run(async () => {
      const measureId = globalThis.crypto.randomUUID();
      const text = details.trim();
      // The details go to the worker as typed and come back sealed: only the sealed string leaves.
      const sealed = text && keyEpoch !== null ? await crypto({ op: 'seal', caseId, value: { text }, ad: measureDetailsAd(measureId) }) : null;
      await call('proposeMeasure', {
        params: { caseId },
        body: {
          id: measureId,
          code,
          implementer: implementer as 'cndh' | 'state' | 'partner',
          ...(implementer !== 'cndh' && orgId.trim() ? { implementerOrgId: orgId.trim() } : {}),
          ...(durationDays !== null ? { durationDays } : {}),
          ...(sealed !== null && keyEpoch !== null ? { details: sealed, keyEpoch } : {}),
        },
      });
      onDone(t('measures.proposed'));
    });
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h3 id={`${id}-title`}>{t('measures.propose')}</h3>
      <div class="field">
        <label for={`${id}-code`}>{t('measures.type')}</label>
        <select id={`${id}-code`} value={code} aria-describedby={`${id}-about`} onChange={(e) => choose(e.currentTarget.value)}>
          {catalogue.map((e) => (
            <option key={e.code} value={e.code}>
              {t(`measures.category.${e.category}`)} — {pick(e.label)}
            </option>
          ))}
        </select>
        <div id={`${id}-about`}>
          {entry && (
            <p class="hint">
              {t('measures.about', { category: t(`measures.category.${entry.category}`), days: entry.durationDays, max: entry.maxDurationDays })}
            </p>
          )}
          {entry?.warning && <p class="alert alert-warn">{pick(entry.warning)}</p>}
          {entry?.requiresExplicitConsent && <p class="hint">{t('measures.explicitConsent')}</p>}
        </div>
      </div>
      <div class="field">
        <label for={`${id}-implementer`}>{t('measures.implementer')}</label>
        <select id={`${id}-implementer`} value={implementer} onChange={(e) => setImplementer(e.currentTarget.value)}>
          {(entry?.implementers ?? []).map((i) => (
            <option key={i} value={i}>
              {t(`measures.implementer.${i}`)}
            </option>
          ))}
        </select>
      </div>
      {implementer !== 'cndh' && (
        <div class="field">
          <label for={`${id}-org`}>{t('measures.org')}</label>
          <p class="hint" id={`${id}-org-hint`}>
            {t('measures.orgHint')}
          </p>
          <select id={`${id}-org`} value={orgId} aria-describedby={`${id}-org-hint`} aria-busy={orgs === null} onChange={(e) => setOrgId(e.currentTarget.value)}>
            <option value="">{t('measures.orgNone')}</option>
            {(orgs ?? []).map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <Field label={t('measures.days')} hint={t('measures.daysHint', { days: entry?.durationDays ?? 0 })} inputMode="numeric" maxLength={4} value={days} onValue={setDays} />
      {keyEpoch !== null ? (
        <TextArea label={t('measures.details')} hint={t('measures.detailsHint')} rows={3} maxLength={4000} value={details} onValue={setDetails} />
      ) : (
        <p class="hint">{t('measures.detailsNeedKey')}</p>
      )}
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('measures.proposeConfirm')} onCancel={onCancel} />
    </form>
  );
}

/** The value of a datetime-local input for `d`, in this computer's time (what the input shows). */
function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Staff record the defender's answer given orally (the API asks how and when it was taken). */
export function ConsentForm({ measure, name, onDone, onCancel }: Done & { measure: Measure; name: string }) {
  const channels = catalogues.value?.intake.consentChannel ?? [];
  const [decision, setDecision] = useState<'consent' | 'refuse'>('consent');
  const [channel, setChannel] = useState(channels[0]?.code ?? '');
  const [takenAt, setTakenAt] = useState(localInput(new Date()));
  const [statement, setStatement] = useState('');
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useFocusFirst();

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const when = new Date(takenAt);
    if (Number.isNaN(when.getTime())) return setError('date_invalid');
    if (statement.trim().length < 3) return setError('statement_required');
    await run(async () => {
      await call('consentToMeasure', { params: { measureId: measure.id }, body: { decision, attestation: { channel, takenAt: when.toISOString(), statement: statement.trim() } } });
      onDone(decision === 'consent' ? t('measures.consentRecorded', { name }) : t('measures.refusalRecorded', { name }));
    });
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h4 id={`${id}-title`}>{t('measures.command.consent')}</h4>
      <fieldset>
        <legend>{t('measures.answer')}</legend>
        {(['consent', 'refuse'] as const).map((d) => (
          <label key={d} class="choice">
            <input type="radio" name={`${id}-decision`} value={d} checked={decision === d} onChange={() => setDecision(d)} /> {d === 'consent' ? t('measures.answer.consent') : t('measures.answer.refuse')}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for={`${id}-channel`}>{t('measures.channel')}</label>
        <select id={`${id}-channel`} value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
          {channels.map((c) => (
            <option key={c.code} value={c.code}>
              {intakeLabel('consentChannel', c.code)}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={`${id}-at`}>{t('measures.takenAt')}</label>
        <input id={`${id}-at`} type="datetime-local" value={takenAt} onInput={(e) => setTakenAt(e.currentTarget.value)} />
      </div>
      <TextArea label={t('measures.statement')} hint={t('measures.statementHint')} rows={3} maxLength={500} value={statement} onValue={setStatement} />
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('measures.consentConfirm')} onCancel={onCancel} />
    </form>
  );
}

/** Which commands need a reason (required), and which take one if given. */
const REASON: Partial<Record<MeasureCommand, 'required' | 'optional'>> = { approve: 'required', reject: 'required', confirm: 'required', review: 'required', lift: 'required', implement: 'optional' };

/** A command on a measure with what the API asks for it: a reason, an end date (activate), an extension (review). */
export function CommandForm({ measure, command, name, onDone, onCancel }: Done & { measure: Measure; command: Exclude<MeasureCommand, 'consent'>; name: string }) {
  const [reason, setReason] = useState('');
  const [endsOn, setEndsOn] = useState('');
  const [extend, setExtend] = useState('');
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useFocusFirst();
  const needs = REASON[command];
  const label = t(`measures.command.${command}`);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const why = reason.trim();
    if (needs === 'required' && why.length < 3) return setError('reason_required');
    const extendDays = daysOf(extend);
    if (Number.isNaN(extendDays)) return setError('days_invalid');
    await run(async () => {
      const params = { measureId: measure.id };
      if (command === 'approve' || command === 'reject') await call('decideMeasure', { params, body: { decision: command, reason: why } });
      else if (command === 'confirm') await call('confirmMeasure', { params, body: { reason: why } });
      else if (command === 'implement') await call('implementMeasure', { params, body: why ? { reason: why } : {} });
      else if (command === 'activate') await call('activateMeasure', { params, body: endsOn ? { endsAt: `${endsOn}T23:59:59Z` } : {} });
      else if (command === 'review') await call('reviewMeasure', { params, body: { reason: why, ...(extendDays !== null ? { extendDays } : {}) } });
      else await call('liftMeasure', { params, body: { reason: why } });
      onDone(t('measures.done', { command: label, name }));
    });
  };

  return (
    <form ref={form} class="card action-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h4 id={`${id}-title`}>{label}</h4>
      {command === 'lift' && <p class="hint">{t('measures.liftNotice')}</p>}
      {needs && (
        <TextArea label={needs === 'required' ? t('actions.reason') : t('measures.reasonOptional')} hint={t('actions.reasonHint')} rows={3} maxLength={2000} value={reason} onValue={setReason} />
      )}
      {command === 'activate' && (
        <div class="field">
          <label for={`${id}-ends`}>{t('measures.endsOn')}</label>
          <p class="hint" id={`${id}-ends-hint`}>
            {t('measures.endsOnHint', { days: measure.durationDays ?? 0 })}
          </p>
          <input id={`${id}-ends`} type="date" value={endsOn} aria-describedby={`${id}-ends-hint`} onInput={(e) => setEndsOn(e.currentTarget.value)} />
        </div>
      )}
      {command === 'review' && <Field label={t('measures.extendDays')} hint={t('measures.extendDaysHint')} inputMode="numeric" maxLength={4} value={extend} onValue={setExtend} />}
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('actions.confirm', { name: label })} onCancel={onCancel} />
    </form>
  );
}
