/**
 * A new assessment version, built from the risk model the catalogues route gives: each threat
 * (kind, source, can it be carried out, imminent, rating) with the five steps of its analysis,
 * and the vulnerability and capacity ratings with their factors and reasoning. The level shows
 * as the officer types, computed by the server's own function; the narratives are sealed in the
 * crypto worker (AD egide/v1/assessment/<id>/<field>) and only sealed strings leave.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { THREAT_STEPS } from '../../../src/sdk/risk/assessment-fields.js';
import { assessmentFieldAd } from '../../../src/sdk/crypto/associated-data.js';
import { FEASIBILITY, THREAT_KINDS, type RiskRule } from '../../../src/sdk/risk/risk-level.js';
import { call, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { draftLevel, type AssessmentDraft, type ThreatDraft } from './assessment-level.js';
import { LevelPreview } from './assessment-preview.js';
import { ratingText, riskCodeLabel, type RatingOf, type RiskList } from './assessment-words.js';
import { FormButtons, useCommand } from '../ui/command-form.js';
import { SelectField } from '../ui/choices.js';

type Risk = ResponseOf<'getConsoleCatalogues'>['risk'];

/** The server takes at most this many threats in one version (src/contracts/assessment.ts). */
const MAX_THREATS = 20;

interface ThreatForm extends ThreatDraft {
  /** A key for the list, never sent. */
  key: number;
  steps: Record<string, string>;
}

let nextKey = 0;
const newThreat = (): ThreatForm => ({ key: nextKey++, kind: 'declared', source: '', feasible: 'unknown', imminent: false, rating: null, steps: {} });

interface Props {
  caseId: string;
  keyEpoch: number;
  risk: Risk;
  rule: RiskRule | null;
  onDone: (level: string) => void;
  onCancel: () => void;
}

export function AssessmentForm({ caseId, keyEpoch, risk, rule, onDone, onCancel }: Props) {
  const [threats, setThreats] = useState<ThreatForm[]>([newThreat()]);
  const [vulnerability, setVulnerability] = useState<number | null>(null);
  const [capacity, setCapacity] = useState<number | null>(null);
  const [vFactors, setVFactors] = useState<string[]>([]);
  const [cFactors, setCFactors] = useState<string[]>([]);
  const [reasoning, setReasoning] = useState({ vulnerability: '', capacity: '' });
  const { busy, error, setError, run } = useCommand();
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, []);

  const draft: AssessmentDraft = { threats, vulnerability, capacity };
  const result = rule ? draftLevel(draft, rule) : null;
  const change = (key: number, patch: Partial<ThreatForm>) => setThreats((list) => list.map((x) => (x.key === key ? { ...x, ...patch } : x)));

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (vulnerability === null || capacity === null || threats.some((x) => x.rating === null || !x.source)) return setError('assessment_incomplete');
    await run(async () => {
      const assessmentId = globalThis.crypto.randomUUID();
      // Only the narratives typed are sealed: each in the worker, bound to its place by the AD.
      const texts: Array<[string, string]> = [
        ...threats.flatMap((x, i) => THREAT_STEPS.map((step): [string, string] => [`threats.${i}.${step}`, (x.steps[step] ?? '').trim()])),
        ['reasoning.vulnerability', reasoning.vulnerability.trim()],
        ['reasoning.capacity', reasoning.capacity.trim()],
      ];
      const typed = texts.filter(([, text]) => text !== '');
      const sealedValues = await Promise.all(typed.map(([field, text]) => crypto({ op: 'seal', caseId, value: text, ad: assessmentFieldAd(assessmentId, field) })));
      const recorded = await call('recordAssessment', {
        params: { caseId },
        body: {
          id: assessmentId,
          threats: threats.map((x) => ({ kind: x.kind, source: x.source, canBeCarriedOut: x.feasible, imminent: x.imminent, rating: x.rating ?? 0 })),
          vulnerability: { factors: vFactors, rating: vulnerability },
          capacity: { factors: cFactors, rating: capacity },
          sealed: Object.fromEntries(typed.map(([field], i) => [field, sealedValues[i]!])),
          keyEpoch,
        },
      });
      onDone(recorded.level);
    });
  };

  return (
    <form ref={form} class="card action-form assessment-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h3 id={`${id}-title`}>{t('assessment.new')}</h3>
      <p class="hint">{t('assessment.formHint')}</p>
      {threats.length === 0 && <p>{t('assessment.noThreat')}</p>}
      {threats.map((x, i) => (
        <fieldset key={x.key} class="threat" data-threat={i}>
          <legend>{t('assessment.threat', { n: i + 1 })}</legend>
          <SelectField label={t('assessment.kind')} value={x.kind} options={THREAT_KINDS.map((k) => [k, t(`assessment.kind.${k}`)])} onValue={(v) => change(x.key, { kind: v === 'possible' ? 'possible' : 'declared' })} />
          <SelectField label={t('assessment.source')} value={x.source} blank={t('assessment.choose')} options={codes(risk, 'threatSources')} onValue={(v) => change(x.key, { source: v })} />
          <SelectField
            label={t('assessment.feasible')}
            value={x.feasible}
            options={FEASIBILITY.map((f) => [f, t(`assessment.feasible.${f}`)])}
            onValue={(v) => change(x.key, { feasible: FEASIBILITY.find((f) => f === v) ?? 'unknown' })}
          />
          <div class="field field-check">
            <input id={`${id}-imminent-${x.key}`} type="checkbox" checked={x.imminent} onChange={(e) => change(x.key, { imminent: e.currentTarget.checked })} />
            <label for={`${id}-imminent-${x.key}`}>{t('assessment.imminent')}</label>
          </div>
          <RatingSelect label={t('assessment.threatRating')} of="threat" risk={risk} value={x.rating} onValue={(rating) => change(x.key, { rating })} />
          {THREAT_STEPS.map((step) => (
            <Text key={step} label={t(`assessment.step.${step}`)} value={x.steps[step] ?? ''} onValue={(v) => change(x.key, { steps: { ...x.steps, [step]: v } })} />
          ))}
          <button type="button" onClick={() => setThreats((list) => list.filter((y) => y.key !== x.key))}>
            {t('assessment.removeThreat', { n: i + 1 })}
          </button>
        </fieldset>
      ))}
      <p>
        <button type="button" disabled={threats.length >= MAX_THREATS} onClick={() => setThreats((list) => [...list, newThreat()])}>
          {t('assessment.addThreat')}
        </button>
      </p>
      <fieldset class="factors">
        <legend>{t('assessment.vulnerability')}</legend>
        <RatingSelect label={t('assessment.vulnerabilityRating')} of="vulnerability" risk={risk} value={vulnerability} onValue={setVulnerability} />
        <Checks legend={t('assessment.vulnerabilityFactors')} list="vulnerabilityFactors" risk={risk} chosen={vFactors} onChosen={setVFactors} />
        <Text label={t('assessment.reasoning.vulnerability')} value={reasoning.vulnerability} onValue={(v) => setReasoning((r) => ({ ...r, vulnerability: v }))} />
      </fieldset>
      <fieldset class="factors">
        <legend>{t('assessment.capacity')}</legend>
        <RatingSelect label={t('assessment.capacityRating')} of="capacity" risk={risk} value={capacity} onValue={setCapacity} />
        <Checks legend={t('assessment.capacityFactors')} list="capacityFactors" risk={risk} chosen={cFactors} onChosen={setCFactors} />
        <Text label={t('assessment.reasoning.capacity')} value={reasoning.capacity} onValue={(v) => setReasoning((r) => ({ ...r, capacity: v }))} />
      </fieldset>
      <LevelPreview result={result} rule={rule} vulnerability={vulnerability} capacity={capacity} />
      <Problem code={error} />
      <FormButtons busy={busy} confirm={t('assessment.record')} onCancel={onCancel} />
    </form>
  );
}

const codes = (risk: Risk, list: RiskList): Array<[string, string]> => risk[list].map((c) => [c.code, riskCodeLabel(list, c.code)]);


function RatingSelect({ label, of, risk, value, onValue }: { label: string; of: RatingOf; risk: Risk; value: number | null; onValue: (n: number | null) => void }) {
  const scale: Array<[string, string]> = [];
  for (let n = risk.rating.min; n <= risk.rating.max; n++) scale.push([String(n), ratingText(of, n)]);
  return <SelectField label={label} value={value === null ? '' : String(value)} blank={t('assessment.choose')} options={scale} onValue={(v) => onValue(v === '' ? null : Number(v))} />;
}

function Text({ label, value, onValue }: { label: string; value: string; onValue: (v: string) => void }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea id={id} rows={2} maxLength={2000} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </div>
  );
}

function Checks({ legend, list, risk, chosen, onChosen }: { legend: string; list: RiskList; risk: Risk; chosen: string[]; onChosen: (codes: string[]) => void }) {
  const id = useId();
  return (
    <fieldset class="checks">
      <legend>{legend}</legend>
      <ul>
        {risk[list].map((c) => (
          <li key={c.code}>
            <input
              id={`${id}-${c.code}`}
              type="checkbox"
              checked={chosen.includes(c.code)}
              onChange={(e) => onChosen(e.currentTarget.checked ? [...chosen, c.code] : chosen.filter((x) => x !== c.code))}
            />
            <label for={`${id}-${c.code}`}>{riskCodeLabel(list, c.code)}</label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
