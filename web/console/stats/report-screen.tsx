/**
 * A year's annual report (GET /v1/stats/reports/:year), printable: the SDG 16.10.1 tables first,
 * then every table of the year (by quarter, and crossed), the response times. By default the
 * variant to publish, small cells hidden ("< 5", and "x" for a cell hidden so another cannot be
 * worked out from the totals), with a legend; exact figures (internal) on demand. Each table as
 * CSV or JSON. Once the year has ended, a supervisor publishes it (frozen as it is then, and
 * shown again as frozen with its SHA-256). Titles and labels come from the API in French and
 * English and follow the console's language.
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso/router';
import { call, callRaw, codeOf, type ResponseOf } from '../api.js';
import { formatDateTime, lang, t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { figure, FigureTable, type FigureCell } from './figure-table.js';
import { loadStatsCatalogue, type StatsCatalogue } from './stats-catalogue.js';
import { fileOf, SaveReport, useSave } from './stats-files.js';
import { queryString } from './stats-range.js';
import { bucketLabel, pick, thisMonth, unitText } from './stats-words.js';

type Report = ResponseOf<'getStatsReport'>;
type ReportTable = Report['tables'][number];
type ReportCell = ReportTable['total'];
type Publication = ResponseOf<'getStatsPublication'>;
type Variant = Report['variant'];

const SDG = ['sdg-16-10-1', 'sdg-16-10-1-by-sex'];

/** A cell as printed: hidden ones as `< threshold` or `x`. */
const printed = (c: ReportCell, threshold: number): FigureCell => {
  if (c.flag === 'below_threshold') return { text: `< ${threshold}`, flag: c.flag };
  if (c.flag === 'complementary') return { text: 'x', flag: c.flag };
  return figure(c.n);
};

/** The report's language for its CSV: the console's when the API has it, else French. */
const csvLang = (): 'fr' | 'en' => (lang.value === 'en' ? 'en' : 'fr');

function ReportTableView({ table, report, frozen, catalogue }: { table: ReportTable; report: Report; frozen: boolean; catalogue: StatsCatalogue }) {
  const csv = useSave();
  const json = useSave();
  const params = { year: String(report.year), tableId: table.id };
  const base = `egide-${report.year}-${table.id}-${report.variant}`;
  const title = pick(table.title);
  const rowDimension = catalogue.dimensions.find((d) => d.name === table.rowDimension);
  return (
    <section class="stats-report-table" aria-labelledby={`report-${table.id}`} data-table={table.id}>
      <h3 id={`report-${table.id}`}>
        {title} <span class="muted">({unitText(table.unit)})</span>
      </h3>
      {/* The heading above is the caption seen; the table keeps its own for screen readers. */}
      <FigureTable
        caption={<span class="visually-hidden">{title}</span>}
        corner={rowDimension ? pick(rowDimension.label) : t('stats.report.rows')}
        columns={table.columns.map((c) => ({ code: c.code, label: pick(c.label) }))}
        rows={table.rows.map((r, i) => ({ code: r.code, label: pick(r.label), cells: (table.cells[i] ?? []).map((c) => printed(c, report.threshold)), total: printed(table.rowTotals[i] ?? { n: null, flag: null }, report.threshold) }))}
        totals={{ cells: table.columnTotals.map((c) => printed(c, report.threshold)), total: printed(table.total, report.threshold) }}
      />
      {/* The frozen publication is downloaded whole (below): these exports are of the figures as they are now. */}
      {!frozen && (
        <div class="actions no-print">
          <button type="button" disabled={csv.busy} onClick={() => void csv.save(async () => fileOf(await callRaw('exportStatsReportTable', { params, query: { variant: report.variant, lang: csvLang() }, headers: { accept: 'text/csv, application/problem+json' } }), `${base}.csv`))}>
            {t('stats.download.csv')} <span class="visually-hidden">{title}</span>
          </button>
          <button type="button" disabled={json.busy} onClick={() => void json.save(async () => fileOf(await callRaw('getStatsReportTable', { params, query: { variant: report.variant } }), `${base}.json`))}>
            {t('stats.download.json')} <span class="visually-hidden">{title}</span>
          </button>
        </div>
      )}
      <SaveReport state={csv} />
      <SaveReport state={json} />
    </section>
  );
}

function ResponseTimesTable({ report, catalogue }: { report: Report; catalogue: StatsCatalogue }) {
  const nameOf = (measure: string) => {
    const d = catalogue.dimensions.find((x) => x.name === measure);
    return d ? pick(d.label) : measure;
  };
  return (
    <FigureTable
      caption={t('stats.report.timesCaption', { year: report.year })}
      corner={t('stats.report.timesMeasure')}
      columns={[
        { code: 'count', label: t('stats.times.count') },
        { code: 'median', label: t('stats.times.median') },
        { code: 'p90', label: t('stats.times.p90') },
      ]}
      rows={report.responseTimes.map((x) => ({
        code: x.measure,
        label: nameOf(x.measure),
        cells: [printed(x.count, report.threshold), { text: x.count.flag ? '' : bucketLabel(x.median) }, { text: x.count.flag ? '' : bucketLabel(x.p90) }],
      }))}
    />
  );
}

function Legend({ threshold }: { threshold: number }) {
  return (
    <section class="card stats-legend-card" aria-labelledby="report-legend-title">
      <h2 id="report-legend-title">{t('stats.report.legend')}</h2>
      <dl class="facts">
        <dt>{`< ${threshold}`}</dt>
        <dd>{t('stats.report.belowThreshold', { threshold })}</dd>
        <dt>x</dt>
        <dd>{t('stats.report.complementary')}</dd>
      </dl>
    </section>
  );
}

/** The publication of an ended year: the button (with a confirmation), or what was published and its SHA-256. */
function PublicationCard({ year, complete, publication, onPublished, onStale, frozen, onFrozen }: { year: number; complete: boolean; publication: Publication | null; onPublished: (p: Publication) => void; onStale: () => void; frozen: boolean; onFrozen: (on: boolean) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setConfirming(false);
    setError(null);
  }, [year]);
  const publish = async () => {
    setBusy(true);
    setError(null);
    try {
      onPublished(await call('publishStatsReport', { params: { year: String(year) } }));
      setConfirming(false);
    } catch (err) {
      setError(codeOf(err));
      // Published meanwhile (another supervisor): what was published is shown with the refusal.
      if (codeOf(err) === 'stats_already_published') onStale();
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class={publication ? 'card stats-publication' : 'card stats-publication no-print'} aria-labelledby="report-publication-title">
      <h2 id="report-publication-title">{t('stats.report.publication')}</h2>
      {publication ? (
        <>
          <p data-published={publication.year}>{t('stats.report.publishedOn', { year: publication.year, at: formatDateTime(publication.publishedAt) })}</p>
          <dl class="meta">
            <dt>SHA-256</dt>
            <dd class="fingerprint" data-sha256>
              {publication.sha256}
            </dd>
          </dl>
          <p class="no-print">
            <button type="button" onClick={() => onFrozen(!frozen)}>
              {frozen ? t('stats.report.showLive') : t('stats.report.showFrozen')}
            </button>
          </p>
        </>
      ) : complete ? (
        <>
          <p>{t('stats.report.canPublish', { year })}</p>
          <div class="no-print">
            {confirming ? (
              <div class="alert alert-warn" role="group" aria-labelledby="report-confirm">
                <p id="report-confirm">{t('stats.report.confirm', { year })}</p>
                <div class="actions">
                  <button type="button" class="primary" disabled={busy} aria-busy={busy} onClick={() => void publish()}>
                    {t('stats.report.confirmPublish', { year })}
                  </button>
                  <button type="button" onClick={() => setConfirming(false)}>
                    {t('stats.report.cancel')}
                  </button>
                </div>
              </div>
            ) : (
              <button type="button" class="primary" onClick={() => setConfirming(true)}>
                {t('stats.report.publish', { year })}
              </button>
            )}
          </div>
        </>
      ) : (
        <p>{t('stats.report.notEnded', { year })}</p>
      )}
      <Problem code={error} />
    </section>
  );
}

/** The years with figures up to this one, and last year's at least (the one to publish). */
function yearsOf(catalogue: StatsCatalogue, current: number, chosen: number): number[] {
  const first = Math.min(Number(catalogue.months.first?.slice(0, 4) ?? current), current - 1, chosen);
  const last = Math.max(current, chosen);
  return Array.from({ length: last - first + 1 }, (_x, i) => last - i);
}

function ReportView({ report, catalogue, frozen, publication }: { report: Report; catalogue: StatsCatalogue; frozen: boolean; publication: Publication | null }) {
  const sdg = SDG.flatMap((id) => report.tables.filter((x) => x.id === id));
  const others = report.tables.filter((x) => !SDG.includes(x.id));
  const whole = useSave();
  return (
    <div class="stats-report" data-variant={report.variant} data-frozen={frozen ? 'true' : undefined}>
      <p class="stats-report-about">
        {report.variant === 'internal' ? t('stats.report.internal') : t('stats.report.published', { threshold: report.threshold })}{' '}
        {frozen && publication ? t('stats.report.frozenAt', { at: formatDateTime(publication.publishedAt) }) : t('stats.report.generated', { at: formatDateTime(report.generatedAt) })}
      </p>
      {!report.complete && <p class="alert alert-warn">{t('stats.report.incomplete', { year: report.year })}</p>}
      {frozen && publication && (
        <p class="no-print">
          <button type="button" onClick={() => void whole.save(async () => fileOf(await callRaw('getStatsPublication', { params: { year: String(report.year) } }), `egide-${report.year}-publication.json`))}>
            {t('stats.report.downloadPublication')}
          </button>
          <SaveReport state={whole} />
        </p>
      )}
      {report.variant === 'published' && <Legend threshold={report.threshold} />}
      <section class="card stats-report-section" aria-labelledby="report-sdg-title">
        <h2 id="report-sdg-title">{t('stats.report.sdgTitle')}</h2>
        <p>{t('stats.report.sdgWhat')}</p>
        {sdg.map((table) => (
          <ReportTableView key={table.id} table={table} report={report} frozen={frozen} catalogue={catalogue} />
        ))}
      </section>
      <section class="card stats-report-section" aria-labelledby="report-tables-title">
        <h2 id="report-tables-title">{t('stats.report.tables')}</h2>
        {others.map((table) => (
          <ReportTableView key={table.id} table={table} report={report} frozen={frozen} catalogue={catalogue} />
        ))}
      </section>
      <section class="card stats-report-section" aria-labelledby="report-times-title">
        <h2 id="report-times-title">{t('stats.report.times')}</h2>
        <p>{t('stats.report.timesWhat')}</p>
        <ResponseTimesTable report={report} catalogue={catalogue} />
      </section>
    </div>
  );
}

export function ReportScreen() {
  const id = useId();
  const { query, route } = useLocation();
  const [catalogue, setCatalogue] = useState<StatsCatalogue | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadStatsCatalogue().then(setCatalogue, (err: unknown) => setError(codeOf(err)));
  }, []);
  const current = Number(thisMonth().slice(0, 4));
  // Without a year asked for: last year's report once this one has started with cases before it, else this year's.
  const asked = /^\d{4}$/.test(query.year ?? '') ? Number(query.year) : null;
  const year = asked ?? (catalogue ? (catalogue.months.first && Number(catalogue.months.first.slice(0, 4)) < current ? current - 1 : current) : null);
  const variant: Variant = query.exact === '1' ? 'internal' : 'published';
  const go = (next: { year?: number; exact?: boolean; frozen?: boolean }) =>
    route(`/console/stats/report?${queryString({ year: String(next.year ?? year ?? current), exact: (next.exact ?? variant === 'internal') ? '1' : undefined, frozen: (next.frozen ?? query.frozen === '1') ? '1' : undefined })}`);

  const [report, setReport] = useState<{ key: string; value: Report | null; error: string | null } | null>(null);
  const [publication, setPublication] = useState<{ year: number; value: Publication | null } | null>(null);
  const [asks, setAsks] = useState(0);
  const key = `${year}:${variant}`;
  useEffect(() => {
    if (year === null) return;
    let live = true;
    call('getStatsReport', { params: { year: String(year) }, query: { variant } }).then(
      (value) => live && setReport({ key, value, error: null }),
      (err: unknown) => live && setReport({ key, value: null, error: codeOf(err) }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  useEffect(() => {
    if (year === null) return;
    let live = true;
    call('getStatsPublication', { params: { year: String(year) } }).then(
      (value) => live && setPublication({ year, value }),
      (err: unknown) => {
        if (!live) return;
        if (codeOf(err) === 'not_found') setPublication({ year, value: null });
        else setError(codeOf(err));
      },
    );
    return () => {
      live = false;
    };
  }, [year, asks]);

  const published = publication?.year === year ? publication.value : null;
  const frozen = query.frozen === '1' && published !== null;
  const live = report?.key === key ? report : null;
  const shown = frozen && published ? published.report : live?.value;

  return (
    <div class="stack stats">
      <h1>{year === null ? t('stats.report.title') : t('stats.report.titleYear', { year })}</h1>
      <p class="no-print">
        <a href="/console/stats">{t('stats.report.back')}</a>
      </p>
      <Problem code={error} />
      {catalogue && year !== null && (
        <div class="filters no-print stats-report-controls">
          <div class="field">
            <label for={`${id}-year`}>{t('stats.report.year')}</label>
            <select id={`${id}-year`} value={String(year)} onChange={(e) => go({ year: Number(e.currentTarget.value), frozen: false })}>
              {yearsOf(catalogue, current, year).map((y) => (
                <option key={y} value={String(y)}>
                  {y}
                </option>
              ))}
            </select>
          </div>
          <div class="check">
            <input id={`${id}-exact`} type="checkbox" checked={variant === 'internal'} disabled={frozen} onChange={(e) => go({ exact: e.currentTarget.checked })} aria-describedby={`${id}-exact-hint`} />
            <label for={`${id}-exact`}>{t('stats.report.exact')}</label>
          </div>
          <p class="hint" id={`${id}-exact-hint`}>
            {t('stats.report.exactHint')}
          </p>
          <div class="filter-actions">
            <button type="button" onClick={() => window.print()}>
              {t('stats.report.print')}
            </button>
          </div>
        </div>
      )}
      {year !== null && publication?.year === year && shown && (
        <PublicationCard
          year={year}
          complete={shown.complete}
          publication={published}
          onPublished={(p) => setPublication({ year: p.year, value: p })}
          onStale={() => setAsks(asks + 1)}
          frozen={frozen}
          onFrozen={(on) => go({ frozen: on, exact: false })}
        />
      )}
      {year !== null && !live && !frozen && (
        <p class="muted" aria-busy="true">
          {t('stats.loading')}
        </p>
      )}
      <Problem code={live?.error ?? null} />
      {catalogue && shown && <ReportView report={shown} catalogue={catalogue} frozen={frozen} publication={published} />}
    </div>
  );
}
