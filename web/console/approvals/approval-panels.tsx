/**
 * What a supervisor reads before deciding: the latest assessment of the case (level, ratings,
 * factors; its narratives opened in the worker when the account holds a key of the case), and an
 * appeal's grounds opened the same way. Loaded only when asked for: each read is audited.
 */
import { useEffect, useState } from 'preact/hooks';
import { appealGroundsAd, assessmentFieldAd } from '../../../src/sdk/crypto/associated-data.js';
import { call, codeOf, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { t } from '../i18n.js';
import { AssessmentHistory, type Opened } from '../case/assessment-history.js';
import { fieldText } from '../case/field-text.js';
import { loadCatalogues } from '../ui/catalogues.js';
import { Problem } from '../ui/problem.js';
import { openCaseKeyOnly } from './case-key-only.js';

type Version = ResponseOf<'listCaseAssessments'>['versions'][number];

export function AssessmentPanel({ caseId }: { caseId: string }) {
  const [latest, setLatest] = useState<Version[] | null>(null);
  const [opened, setOpened] = useState<Record<string, Opened>>({});
  const [keyless, setKeyless] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    (async () => {
      const [list] = await Promise.all([call('listCaseAssessments', { params: { caseId } }), loadCatalogues()]);
      const last = list.versions.at(-1);
      setLatest(last ? [last] : []);
      if (!last || Object.keys(last.sealed).length === 0) return;
      if (!(await openCaseKeyOnly(caseId))) return setKeyless(true);
      const fields = Object.keys(last.sealed);
      const texts = await crypto({ op: 'open', caseId, items: fields.map((f) => ({ sealed: last.sealed[f]!, ad: assessmentFieldAd(last.id, f) })) });
      setOpened({ [last.id]: Object.fromEntries(fields.map((f, i) => [f, texts[i] == null ? null : fieldText(texts[i])])) });
    })().catch((err: unknown) => setError(codeOf(err)));
  }, [caseId]);

  if (error) return <Problem code={error} />;
  if (!latest) return <p aria-busy="true">{t('case.loading')}</p>;
  return (
    <div class="approval-assessment">
      {keyless && <p class="hint">{t('approvals.codesOnly')}</p>}
      <AssessmentHistory versions={latest} opened={opened} />
    </div>
  );
}

export function GroundsPanel({ caseId, appealId }: { caseId: string; appealId: string }) {
  const [text, setText] = useState<string | null | undefined>(undefined);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    (async () => {
      const { items } = await call('listCaseAppeals', { params: { caseId } });
      const grounds = items.find((a) => a.id === appealId)?.grounds ?? null;
      if (grounds === null) return setNote(t('approvals.noGrounds'));
      if (!(await openCaseKeyOnly(caseId))) return setNote(t('approvals.codesOnly'));
      const [value] = await crypto({ op: 'open', caseId, items: [{ sealed: grounds, ad: appealGroundsAd(appealId) }] });
      setText(value == null ? null : fieldText(value));
    })().catch((err: unknown) => setError(codeOf(err)));
  }, [caseId, appealId]);

  if (error) return <Problem code={error} />;
  if (note) return <p class="hint">{note}</p>;
  if (text === undefined) return <p aria-busy="true">{t('case.loading')}</p>;
  if (text === null)
    return (
      <p class="alert alert-error" role="alert">
        {t('case.fieldUnopened')}
      </p>
    );
  return (
    <dl class="fields">
      <dt>{t('approvals.grounds')}</dt>
      <dd class="sealed-text">{text}</dd>
    </dl>
  );
}
