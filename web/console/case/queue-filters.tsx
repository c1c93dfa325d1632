/** The queue's filters (state, region, risk level, urgent, overdue), applied on submit into the URL. */
import { useEffect, useId, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { catalogues, intakeLabel, riskLabel } from '../ui/catalogues.js';

export const FILTER_KEYS = ['state', 'region', 'riskLevel', 'urgent', 'overdue'] as const;
type Filters = Record<(typeof FILTER_KEYS)[number], string>;

const STATES = ['received', 'triage', 'info_requested', 'assessment', 'decision', 'protection', 'closed'];

function Select({ label, value, onValue, options }: { label: string; value: string; onValue: (v: string) => void; options: Array<[string, string]> }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onValue(e.currentTarget.value)}>
        <option value="">{t('queue.filter.any')}</option>
        {options.map(([code, text]) => (
          <option key={code} value={code}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

export function QueueFilters({ tab, query, onApply }: { tab: string; query: Record<string, string>; onApply: (f: Filters) => void }) {
  const fromQuery = (): Filters => ({ state: query.state ?? '', region: query.region ?? '', riskLevel: query.riskLevel ?? '', urgent: query.urgent ?? '', overdue: query.overdue ?? '' });
  const [f, setF] = useState<Filters>(fromQuery);
  useEffect(() => setF(fromQuery()), [JSON.stringify(query)]);
  const set = (k: keyof Filters) => (v: string) => setF({ ...f, [k]: v });
  const cat = catalogues.value;
  const regions = (cat?.intake.region ?? []).map((r): [string, string] => [r.code, intakeLabel('region', r.code)]);
  const levels = Object.keys(cat?.risk.levels ?? {}).map((l): [string, string] => [l, riskLabel(l)]);
  const yes: Array<[string, string]> = [['true', t('queue.filter.yes')], ['false', t('queue.filter.no')]];
  return (
    <form
      class="filters card"
      aria-label={t('queue.filters')}
      onSubmit={(e) => {
        e.preventDefault();
        onApply(tab === 'pool' ? { ...f, state: '' } : f);
      }}
    >
      {tab !== 'pool' && <Select label={t('queue.filter.state')} value={f.state} onValue={set('state')} options={STATES.map((s) => [s, t(`state.${s}`)])} />}
      <Select label={t('queue.filter.region')} value={f.region} onValue={set('region')} options={regions} />
      <Select label={t('queue.filter.risk')} value={f.riskLevel} onValue={set('riskLevel')} options={levels} />
      <Select label={t('queue.filter.urgent')} value={f.urgent} onValue={set('urgent')} options={yes} />
      <Select label={t('queue.filter.overdue')} value={f.overdue} onValue={set('overdue')} options={yes} />
      <div class="filter-actions">
        <button type="submit" class="primary">
          {t('queue.filter.apply')}
        </button>
      </div>
    </form>
  );
}
