/**
 * A case's dossier to print for a lawyer or a court: metadata, the sealed facts, the timeline,
 * assessments, measures, referrals and files, every sealed part opened in the crypto worker.
 * Each printed page carries the reader's name and the time of printing. Printing is an export:
 * the API records it (recordCaseExport, audited) first, and a refusal prints nothing.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { assessmentFieldAd, measureDetailsAd } from '../../../src/sdk/crypto/associated-data.js';
import { call, codeOf, type ResponseOf } from '../api.js';
import { crypto } from '../crypto-client.js';
import { formatDateTime, lang, t } from '../i18n.js';
import { openCase, type OpenedCase } from '../case/case-key.js';
import { CaseMeta } from '../case/case-meta.js';
import { CaseTimeline } from '../case/case-timeline.js';
import { SealedFields } from '../case/sealed-fields.js';
import { DossierAssessments, DossierFiles, DossierMeasures, DossierReferrals, type Opened } from '../dossier/dossier-sections.js';
import { loadCatalogues } from '../ui/catalogues.js';
import { Problem } from '../ui/problem.js';
import { account } from '../session.js';

type Section = ResponseOf<'recordCaseExport'>['sections'][number];
type CaseRead = ResponseOf<'getCase'>;
type Assessments = ResponseOf<'listCaseAssessments'>['versions'];
type Measures = ResponseOf<'listCaseMeasures'>['items'];
type Referrals = ResponseOf<'listCaseReferrals'>['items'];
type Export = ResponseOf<'recordCaseExport'>;

/** What a part holds once loaded: its data, or the problem code that kept it out. */
type Part<T> = { data: T } | { error: string } | null;

const ORDER: readonly Section[] = ['meta', 'facts', 'timeline', 'assessments', 'measures', 'referrals', 'files'];

function loaded<T>(part: Part<T>): T | null {
  return part && 'data' in part ? part.data : null;
}

function PartView<T>({ part, children }: { part: Part<T>; children: (data: T) => ComponentChildren }) {
  if (part === null) return <p aria-busy="true">{t('case.loading')}</p>;
  if ('error' in part) return <Problem code={part.error} />;
  return <>{children(part.data)}</>;
}

export function CaseDossier({ caseId }: { caseId: string }) {
  const [meta, setMeta] = useState<Part<CaseRead>>(null);
  const [facts, setFacts] = useState<Part<OpenedCase>>(null);
  const [timeline, setTimeline] = useState<Part<ResponseOf<'getCaseTimeline'>['items']>>(null);
  const [assessments, setAssessments] = useState<Part<Assessments>>(null);
  const [measures, setMeasures] = useState<Part<Measures>>(null);
  const [referrals, setReferrals] = useState<Part<Referrals>>(null);
  const [opened, setOpened] = useState<Map<string, Opened>>(new Map());
  const [labels, setLabels] = useState<Map<string, { fr: string; en: string }>>(new Map());
  const [openedAt] = useState(() => new Date().toISOString());
  const [record, setRecord] = useState<Export | null>(null);
  const [printing, setPrinting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    for (const reset of [setMeta, setFacts, setTimeline, setAssessments, setMeasures, setReferrals] as Array<(p: null) => void>) reset(null);
    setRecord(null);
    setError(null);
    // An answer for the case left behind (another dossier opened meanwhile) is dropped.
    let live = true;
    const put = <T,>(set: (p: Part<T>) => void) => (p: Part<T>) => {
      if (live) set(p);
    };
    const [toMeta, toFacts, toTimeline, toAssessments, toMeasures, toReferrals] = [put(setMeta), put(setFacts), put(setTimeline), put(setAssessments), put(setMeasures), put(setReferrals)];
    const failed = <T,>(set: (p: Part<T>) => void) => (err: unknown): null => {
      set({ error: codeOf(err) });
      return null;
    };
    void loadCatalogues().catch(() => undefined);
    call('getMeasureCatalogue').then((r) => live && setLabels(new Map(r.items.map((i) => [i.code, i.label]))), () => undefined);
    call('getCase', { params: { caseId } }).then((data) => toMeta({ data }), failed(toMeta));
    call('getCaseTimeline', { params: { caseId }, query: { limit: '200' } }).then((r) => toTimeline({ data: r.items }), failed(toTimeline));
    call('listCaseReferrals', { params: { caseId } }).then((r) => toReferrals({ data: r.items }), failed(toReferrals));
    // The case key first (openCase), then the sealed parts of assessments and measures with it.
    const key = openCase(caseId).then(
      (data) => {
        toFacts({ data });
        return true;
      },
      (err: unknown) => {
        toFacts({ error: codeOf(err) });
        return false;
      },
    );
    const lists = Promise.all([
      call('listCaseAssessments', { params: { caseId } }).then((r) => r.versions, failed(toAssessments)),
      call('listCaseMeasures', { params: { caseId } }).then((r) => r.items, failed(toMeasures)),
    ]);
    void Promise.all([key, lists]).then(async ([open, [versions, items]]) => {
      const wanted: Array<{ id: string; sealed: string; ad: string }> = [];
      for (const v of versions ?? []) for (const [field, sealed] of Object.entries(v.sealed)) wanted.push({ id: `${v.id}/${field}`, sealed, ad: assessmentFieldAd(v.id, field) });
      for (const m of items ?? []) if (m.details !== null) wanted.push({ id: m.id, sealed: m.details, ad: measureDetailsAd(m.id) });
      const texts = open && wanted.length > 0 ? await crypto({ op: 'open', caseId, items: wanted.map(({ sealed, ad }) => ({ sealed, ad })) }).catch(() => null) : null;
      if (!live) return;
      setOpened(new Map(wanted.map((w, i) => [w.id, displayOf(texts?.[i] ?? null)])));
      if (versions) toAssessments({ data: versions });
      if (items) toMeasures({ data: items });
    });
    return () => {
      live = false;
    };
  }, [caseId]);

  // Printed once the export is on record and its time shown in the page's mark.
  useEffect(() => {
    if (!printing) return;
    setPrinting(false);
    window.print();
  }, [printing]);

  const parts: Record<Section, Part<unknown>> = { meta, facts, timeline, assessments, measures, referrals, files: { data: null } };
  const ready = ORDER.every((s) => parts[s] !== null);
  const included = ORDER.filter((s) => loaded(parts[s]) !== null || s === 'files');

  const print = async () => {
    setError(null);
    setBusy(true);
    try {
      setRecord(await call('recordCaseExport', { params: { caseId }, body: { sections: included } }));
      setPrinting(true);
    } catch (err) {
      setRecord(null);
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };

  const c = loaded(meta)?.case;
  const staff = c && 'region' in c ? c : null;
  const measureLabel = (code: string) => {
    const l = labels.get(code);
    return l ? (lang.value === 'fr' ? l.fr : l.en) : code;
  };
  return (
    <article aria-labelledby="dossier-title" class="dossier">
      <p class="print-mark" data-testid="print-mark">
        {t('dossier.printMark', { name: account.value?.username ?? '', at: formatDateTime(record?.at ?? openedAt) })}
        {record && <> · {t('dossier.exportRef', { id: record.exportId })}</>}
      </p>
      <h1 id="dossier-title">{c ? t('dossier.title', { reference: c.reference }) : t('case.loading')}</h1>
      <p class="no-print">
        <a href={`/console/cases/${caseId}`}>{t('dossier.back')}</a>
      </p>
      <div class="no-print dossier-print">
        <p class="hint" id="dossier-print-hint">
          {t('dossier.printHint')}
        </p>
        <button type="button" class="primary" onClick={() => void print()} disabled={!ready || busy} aria-busy={busy} aria-describedby="dossier-print-hint">
          {t('dossier.print')}
        </button>
        <Problem code={error} />
        {record && (
          <p role="status" class="alert alert-ok">
            {t('dossier.recorded', { at: formatDateTime(record.at) })}
          </p>
        )}
      </div>
      <section aria-labelledby="dossier-meta" class="card">
        <h2 id="dossier-meta">{t('case.meta')}</h2>
        <PartView part={meta}>
          {() =>
            staff ? (
              <CaseMeta c={staff} />
            ) : (
              <p>{t('dossier.none')}</p>
            )
          }
        </PartView>
      </section>
      <section aria-labelledby="dossier-facts" class="card">
        <h2 id="dossier-facts">{t('dossier.facts')}</h2>
        {facts && 'error' in facts && facts.error === 'no_envelope' ? (
          <p class="alert alert-error" role="alert" data-code="no_envelope">
            {t('case.noEnvelope')}
          </p>
        ) : (
          <PartView part={facts}>{(o) => <SealedFields fields={o.fields} />}</PartView>
        )}
      </section>
      <section aria-labelledby="dossier-timeline" class="card">
        <h2 id="dossier-timeline">{t('case.timeline')}</h2>
        <PartView part={timeline}>{(items) => <CaseTimeline items={items} />}</PartView>
      </section>
      <section aria-labelledby="dossier-assessments" class="card">
        <h2 id="dossier-assessments">{t('dossier.assessments')}</h2>
        <PartView part={assessments}>{(versions) => <DossierAssessments versions={versions} opened={opened} />}</PartView>
      </section>
      <section aria-labelledby="dossier-measures" class="card">
        <h2 id="dossier-measures">{t('dossier.measures')}</h2>
        <PartView part={measures}>{(items) => <DossierMeasures items={items} opened={opened} label={measureLabel} />}</PartView>
      </section>
      <section aria-labelledby="dossier-referrals" class="card">
        <h2 id="dossier-referrals">{t('dossier.referrals')}</h2>
        <PartView part={referrals}>{(items) => <DossierReferrals items={items} />}</PartView>
      </section>
      <section aria-labelledby="dossier-files" class="card">
        <h2 id="dossier-files">{t('dossier.files')}</h2>
        <DossierFiles />
      </section>
    </article>
  );
}

/** The worker's opened value as display text (a measure's details are `{ text }`). */
function displayOf(value: unknown): Opened {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value) && 'text' in value && typeof value.text === 'string') return value.text;
  return JSON.stringify(value);
}
