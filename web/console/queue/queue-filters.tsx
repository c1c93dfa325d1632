/**
 * The queue's filters (state, region, category, risk level, urgent, overdue, a deadline within so
 * many days) and its order, applied on submit into the URL.
 */
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { catalogues, intakeLabel, riskLabel } from '../ui/catalogues.js';
import { SelectField } from '../ui/choices.js';

export const FILTER_KEYS = ['state', 'region', 'category', 'riskLevel', 'urgent', 'overdue', 'dueWithin', 'sort'] as const;
export type Filters = Record<(typeof FILTER_KEYS)[number], string>;

// Literal keys, so that the catalogues' test sees each one the console asks for.
const STATES = (): Array<[string, string]> => [
  ['received', t('state.received')],
  ['triage', t('state.triage')],
  ['info_requested', t('state.info_requested')],
  ['assessment', t('state.assessment')],
  ['decision', t('state.decision')],
  ['protection', t('state.protection')],
  ['closed', t('state.closed')],
];
const SORTS = (): Array<[string, string]> => [
  ['due', t('queue.sort.due')],
  ['created', t('queue.sort.created')],
  ['risk', t('queue.sort.risk')],
  ['reference', t('queue.sort.reference')],
];
const DAYS = ['1', '2', '7', '14', '30'];


/** The filters and sort of a URL query (empty strings for those it does not set). */
export function filtersOf(query: Record<string, string>): Filters {
  const out = {} as Filters;
  for (const k of FILTER_KEYS) out[k] = query[k] ?? '';
  return out;
}

export function QueueFilters({ tab, query, onApply }: { tab: string; query: Record<string, string>; onApply: (f: Filters) => void }) {
  const [f, setF] = useState<Filters>(() => filtersOf(query));
  useEffect(() => setF(filtersOf(query)), [JSON.stringify(query)]);
  const set = (k: keyof Filters) => (v: string) => setF({ ...f, [k]: v });
  const cat = catalogues.value;
  const listOf = (list: string) => (cat?.intake[list] ?? []).map((r): [string, string] => [r.code, intakeLabel(list, r.code)]);
  const levels = Object.keys(cat?.risk.levels ?? {}).map((l): [string, string] => [l, riskLabel(l)]);
  const yes: Array<[string, string]> = [['true', t('queue.filter.yes')], ['false', t('queue.filter.no')]];
  return (
    <form
      class="filters card"
      aria-label={t('queue.filters')}
      onSubmit={(e) => {
        e.preventDefault();
        // The queue's own order is the list's default: the URL stays short.
        onApply({ ...f, state: tab === 'pool' ? '' : f.state, sort: f.sort === 'due' ? '' : f.sort });
      }}
    >
      <SelectField label={t('queue.sort')} value={f.sort || 'due'} onValue={set('sort')} options={SORTS()} />
      {tab !== 'pool' && <SelectField label={t('queue.filter.state')} value={f.state} onValue={set('state')} options={STATES()} blank={t('queue.filter.any')} />}
      <SelectField label={t('queue.filter.region')} value={f.region} onValue={set('region')} options={listOf('region')} blank={t('queue.filter.any')} />
      <SelectField label={t('queue.filter.category')} value={f.category} onValue={set('category')} options={listOf('defenderCategory')} blank={t('queue.filter.any')} />
      <SelectField label={t('queue.filter.risk')} value={f.riskLevel} onValue={set('riskLevel')} options={levels} blank={t('queue.filter.any')} />
      <SelectField label={t('queue.filter.urgent')} value={f.urgent} onValue={set('urgent')} options={yes} blank={t('queue.filter.any')} />
      <SelectField label={t('queue.filter.overdue')} value={f.overdue} onValue={set('overdue')} options={yes} blank={t('queue.filter.any')} />
      <SelectField label={t('queue.filter.dueWithin')} value={f.dueWithin} onValue={set('dueWithin')} options={DAYS.map((d) => [d, t('queue.filter.days', { n: d })])} blank={t('queue.filter.any')} />
      <div class="filter-actions">
        <button type="submit" class="primary">
          {t('queue.filter.apply')}
        </button>
      </div>
    </form>
  );
}
