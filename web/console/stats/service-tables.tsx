/**
 * The service's own figures, for supervisors (response times) and admins (service figures)
 * alike: requests received per period, the procedure's deadlines by rule (met in time, missed,
 * still running...), the escalations fired per step.
 */
import type { ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { figure, FigureTable } from './figure-table.js';
import { periodLabel, ruleLabel, stepLabel } from './stats-words.js';

type ServiceFigures = ResponseOf<'getServiceStats'>;

const sum = (ns: number[]) => ns.reduce((s, n) => s + n, 0);
const columnsOf = (periods: string[]) => periods.map((p) => ({ code: p, label: periodLabel(p) }));

export function ReceivedTable({ figures }: { figures: Pick<ServiceFigures, 'periods' | 'received'> }) {
  const n = (p: string) => figures.received.find((r) => r.period === p)?.n ?? 0;
  const values = figures.periods.map(n);
  return (
    <FigureTable
      caption={t('stats.received.caption')}
      corner={t('stats.received.corner')}
      columns={columnsOf(figures.periods)}
      rows={[{ code: 'received', label: t('stats.received.row'), cells: values.map(figure), total: figure(sum(values)) }]}
    />
  );
}

const OUTCOMES = ['met', 'missed', 'open', 'paused', 'cancelled'] as const;
type Outcome = (typeof OUTCOMES)[number];

function outcomeLabel(o: Outcome): string {
  switch (o) {
    case 'met':
      return t('stats.deadlines.met');
    case 'missed':
      return t('stats.deadlines.missed');
    case 'open':
      return t('stats.deadlines.open');
    case 'paused':
      return t('stats.deadlines.paused');
    case 'cancelled':
      return t('stats.deadlines.cancelled');
  }
}

/** Deadlines that started in the range, by rule, summed over its periods. */
export function DeadlineTable({ figures }: { figures: Pick<ServiceFigures, 'deadlines'> }) {
  const rules = [...new Set(figures.deadlines.map((d) => d.rule))];
  const of = (rule: string, o: Outcome) => sum(figures.deadlines.filter((d) => d.rule === rule).map((d) => d[o]));
  const rows = rules.map((rule) => {
    const values = OUTCOMES.map((o) => of(rule, o));
    return { code: rule, label: ruleLabel(rule), cells: values.map(figure), total: figure(sum(values)) };
  });
  const columnTotals = OUTCOMES.map((o) => sum(rules.map((r) => of(r, o))));
  return (
    <FigureTable
      caption={t('stats.deadlines.caption')}
      corner={t('stats.deadlines.rule')}
      columns={OUTCOMES.map((o) => ({ code: o, label: outcomeLabel(o) }))}
      rows={rows}
      totals={{ cells: columnTotals.map(figure), total: figure(sum(columnTotals)) }}
    />
  );
}

const STEPS = ['reminder', 'level1', 'level2'];

/** Escalations fired, by step and period. */
export function EscalationTable({ figures }: { figures: Pick<ServiceFigures, 'periods' | 'escalations'> }) {
  const present = new Set(figures.escalations.filter((e) => e.n > 0).map((e) => e.step));
  const steps = [...STEPS.filter((s) => present.has(s)), ...[...present].filter((s) => !STEPS.includes(s))];
  const of = (step: string | null, period: string) => sum(figures.escalations.filter((e) => (step === null || e.step === step) && e.period === period).map((e) => e.n));
  const rows = steps.map((step) => {
    const values = figures.periods.map((p) => of(step, p));
    return { code: step, label: stepLabel(step), cells: values.map(figure), total: figure(sum(values)) };
  });
  const columnTotals = figures.periods.map((p) => of(null, p));
  return (
    <FigureTable
      caption={t('stats.escalations.caption')}
      corner={t('stats.escalations.step')}
      columns={columnsOf(figures.periods)}
      rows={rows}
      totals={{ cells: columnTotals.map(figure), total: figure(sum(columnTotals)) }}
    />
  );
}
