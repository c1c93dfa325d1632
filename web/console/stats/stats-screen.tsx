/**
 * The supervisors' statistics: one series (a dimension of the cases, or measures, referrals,
 * deadlines, escalations) per period, or crossed by another dimension among the crossings the
 * roll-ups keep, over a range of months; then the response times and the workload per officer
 * over the same range. What is shown is in the address, so a view can be kept as a link; a
 * crossing the policies refuse (a region with a profile), typed in the address, is said in words.
 * Exact counts: internal to the mechanism (the annual report is what gets published).
 */
import { useEffect, useId, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso/router';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { ResponseTimesView } from './response-times.js';
import { SeriesView, type StatsTable } from './series-view.js';
import { loadStatsCatalogue, type StatsCatalogue } from './stats-catalogue.js';
import { queryString, RangeFields, rangeOf, type Range } from './stats-range.js';
import { pick } from './stats-words.js';
import { WorkloadView } from './workload.js';

interface SeriesQuery extends Range {
  series: string;
  by: string;
}

/** What an answer is for (its query), so an answer to an older query is never shown. */
function useFetched<R>(key: string, fetch: () => Promise<R>): { value: R | null; error: string | null; busy: boolean } {
  const [state, setState] = useState<{ key: string; value: R | null; error: string | null }>({ key: '', value: null, error: null });
  useEffect(() => {
    let live = true;
    fetch().then(
      (value) => live && setState({ key, value, error: null }),
      (err: unknown) => live && setState({ key, value: null, error: codeOf(err) }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state.key === key ? { value: state.value, error: state.error, busy: false } : { value: null, error: null, busy: true };
}

const nameOf = (catalogue: StatsCatalogue, name: string): string => {
  const d = catalogue.dimensions.find((x) => x.name === name) ?? catalogue.series.find((x) => x.name === name);
  return d ? pick(d.label) : name;
};

/** The dimensions a series may be crossed by: the other halves of the crossings kept. */
const partnersOf = (catalogue: StatsCatalogue, series: string): string[] => catalogue.crossings.filter((pair) => pair.includes(series)).map((pair) => (pair[0] === series ? pair[1]! : pair[0]!));

function SeriesForm({ catalogue, value, onApply }: { catalogue: StatsCatalogue; value: SeriesQuery; onApply: (q: SeriesQuery) => void }) {
  const id = useId();
  const [draft, setDraft] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => setDraft(value), [key]);
  const partners = partnersOf(catalogue, draft.series);
  // A crossing asked for in the address that is not kept stays shown, so the refusal below names what was asked.
  const byOptions = draft.by && !partners.includes(draft.by) ? [...partners, draft.by] : partners;
  const pickSeries = (series: string) => setDraft({ ...draft, series, by: partnersOf(catalogue, series).includes(draft.by) ? draft.by : '' });
  return (
    <form
      class="filters no-print"
      aria-label={t('stats.series.form')}
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <div class="field">
        <label for={`${id}-series`}>{t('stats.series.series')}</label>
        <select id={`${id}-series`} value={draft.series} onChange={(e) => pickSeries(e.currentTarget.value)}>
          <optgroup label={t('stats.series.ofCases')}>
            {catalogue.dimensions.map((d) => (
              <option key={d.name} value={d.name}>
                {pick(d.label)}
              </option>
            ))}
          </optgroup>
          <optgroup label={t('stats.series.others')}>
            {catalogue.series.map((s) => (
              <option key={s.name} value={s.name}>
                {pick(s.label)}
              </option>
            ))}
          </optgroup>
        </select>
      </div>
      <div class="field">
        <label for={`${id}-by`}>{t('stats.series.by')}</label>
        <select id={`${id}-by`} value={draft.by} onChange={(e) => setDraft({ ...draft, by: e.currentTarget.value })} aria-describedby={`${id}-by-hint`}>
          <option value="">{t('stats.series.notCrossed')}</option>
          {byOptions.map((name) => (
            <option key={name} value={name}>
              {nameOf(catalogue, name)}
            </option>
          ))}
        </select>
        <p class="hint" id={`${id}-by-hint`}>
          {partners.length ? t('stats.series.byHint') : t('stats.series.byNone')}
        </p>
      </div>
      <RangeFields value={draft} onChange={(r) => setDraft({ ...draft, ...r })} />
      <div class="filter-actions">
        <button type="submit" class="primary">
          {t('stats.show')}
        </button>
      </div>
    </form>
  );
}

function Loading({ busy }: { busy: boolean }) {
  return busy ? (
    <p class="muted" aria-busy="true">
      {t('stats.loading')}
    </p>
  ) : null;
}

export function StatsScreen() {
  const { query, route } = useLocation();
  const [catalogue, setCatalogue] = useState<StatsCatalogue | null>(null);
  const [catalogueError, setCatalogueError] = useState<string | null>(null);
  useEffect(() => {
    loadStatsCatalogue().then(setCatalogue, (err: unknown) => setCatalogueError(codeOf(err)));
  }, []);
  const range = rangeOf(query);
  const q: SeriesQuery = { series: query.series || 'region', by: query.by ?? '', ...range };
  const rangeQuery = { from: range.from, to: range.to, period: range.period };
  const table = useFetched<StatsTable>(queryString({ ...q }), () => call('getStatsTable', { query: { series: q.series, ...(q.by ? { by: q.by } : {}), ...rangeQuery } }));
  const times = useFetched<ResponseOf<'getStatsResponseTimes'>>(queryString(rangeQuery), () => call('getStatsResponseTimes', { query: rangeQuery }));
  const workload = useFetched<ResponseOf<'getStatsWorkload'>>(queryString(rangeQuery), () => call('getStatsWorkload', { query: rangeQuery }));

  return (
    <div class="stack stats">
      <h1>{t('stats.title')}</h1>
      <p>{t('stats.what')}</p>
      <ul class="stats-links no-print">
        <li>
          <a href="/console/stats/report">{t('stats.toReport')}</a>
        </li>
        <li>
          <a href="/console/service-figures">{t('stats.toService')}</a>
        </li>
      </ul>
      <Problem code={catalogueError} />
      {catalogue && <SeriesForm catalogue={catalogue} value={q} onApply={(next) => route(`/console/stats?${queryString({ ...next })}`)} />}
      <Loading busy={table.busy} />
      {table.error && (
        <div class="stats-refusal" data-refused={table.error}>
          <Problem code={table.error} />
          {catalogue && q.by && <p>{t('stats.series.asked', { a: nameOf(catalogue, q.series), b: nameOf(catalogue, q.by) })}</p>}
        </div>
      )}
      {catalogue && table.value && <SeriesView catalogue={catalogue} table={table.value} />}
      <section class="card" aria-labelledby="stats-times-title">
        <h2 id="stats-times-title">{t('stats.times.title')}</h2>
        <Loading busy={times.busy} />
        <Problem code={times.error} />
        {catalogue && times.value && <ResponseTimesView catalogue={catalogue} figures={times.value} />}
      </section>
      <section class="card" aria-labelledby="stats-workload-title">
        <h2 id="stats-workload-title">{t('stats.workload.title')}</h2>
        <Loading busy={workload.busy} />
        <Problem code={workload.error} />
        {workload.value && <WorkloadView workload={workload.value} />}
      </section>
    </div>
  );
}
