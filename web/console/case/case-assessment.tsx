/**
 * The case's risk assessment (workflow.md, "Risk assessment"): the versions recorded so far, and
 * a new version's form when getCaseActions lists `record_assessment` as allowed to the caller.
 * The level the form shows is computed as the server computes it; the server still decides.
 */
import { useEffect, useState } from 'preact/hooks';
import { assessmentFieldAd } from '../../../src/sdk/crypto/associated-data.js';
import { call, codeOf, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { catalogues, loadCatalogues, riskLabel } from '../ui/catalogues.js';
import { Problem } from '../ui/problem.js';
import { AssessmentForm } from './assessment-form.js';
import { AssessmentHistory, type Opened, type Version } from './assessment-history.js';
import { riskRuleOf } from './assessment-level.js';
import type { Actions } from './case-actions.js';

const display = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Opens every narrative of every version in one call to the worker. */
async function openNarratives(caseId: string, versions: Version[]): Promise<Record<string, Opened>> {
  const items = versions.flatMap((v) => Object.entries(v.sealed).map(([field, sealed]) => ({ id: v.id, field, sealed })));
  if (items.length === 0) return {};
  const texts = await crypto({ op: 'open', caseId, items: items.map((x) => ({ sealed: x.sealed, ad: assessmentFieldAd(x.id, x.field) })) });
  const opened: Record<string, Opened> = {};
  items.forEach((x, i) => {
    const text = texts[i];
    (opened[x.id] ??= {})[x.field] = text == null ? null : display(text);
  });
  return opened;
}

type Listed = ResponseOf<'listCaseAssessments'>;

export function CaseAssessment({ caseId, keyEpoch, actions, onChanged }: { caseId: string; keyEpoch: number | null; actions: Actions | null; onChanged: () => void }) {
  const [listed, setListed] = useState<Listed | null>(null);
  const [opened, setOpened] = useState<Record<string, Opened>>({});
  const [open, setOpen] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    const [list] = await Promise.all([call('listCaseAssessments', { params: { caseId } }), loadCatalogues()]);
    setListed(list);
  };
  const allowed = actions?.commands.some((c) => c.command === 'record_assessment' && c.allowed) ?? false;

  useEffect(() => {
    setListed(null);
    setOpened({});
    setOpen(false);
    setStatus(null);
    setError(null);
    load().catch((err: unknown) => setError(codeOf(err)));
  }, [caseId]);

  // The narratives open once the case key is open in the worker (the page opens it).
  useEffect(() => {
    if (!listed || keyEpoch === null) return;
    openNarratives(caseId, listed.versions).then(setOpened, (err: unknown) => setError(codeOf(err)));
  }, [listed, keyEpoch]);

  const risk = catalogues.value?.risk ?? null;
  const recorded = (level: string) => {
    setOpen(false);
    setStatus(t('assessment.recorded', { level: riskLabel(level) }));
    onChanged();
    load().catch((err: unknown) => setError(codeOf(err)));
  };

  return (
    <section aria-labelledby="case-assessment" class="card">
      <h2 id="case-assessment">{t('assessment.title')}</h2>
      <Problem code={error} />
      {allowed && risk && (
        <p>
          <button
            type="button"
            data-command="record_assessment"
            aria-expanded={open}
            disabled={keyEpoch === null}
            onClick={() => (setStatus(null), setOpen(true))}
          >
            {t('assessment.new')}
          </button>
        </p>
      )}
      {allowed && keyEpoch === null && <p class="hint">{t('assessment.needKey')}</p>}
      {open && risk && keyEpoch !== null && (
        <AssessmentForm caseId={caseId} keyEpoch={keyEpoch} risk={risk} rule={riskRuleOf(risk)} onDone={recorded} onCancel={() => setOpen(false)} />
      )}
      <p role="status">{status ?? ''}</p>
      <h3>{t('assessment.history')}</h3>
      {listed ? <AssessmentHistory versions={listed.versions} opened={opened} /> : <p aria-busy="true">{t('case.loading')}</p>}
    </section>
  );
}
