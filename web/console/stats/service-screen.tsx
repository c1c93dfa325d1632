/**
 * The service's figures (GET /v1/stats/service), for the admins who watch the service and the
 * supervisors: requests received per period, deadlines met or missed, escalations fired. Nothing
 * about the people who file: no region, profile or violation (those are the supervisors'
 * statistics, /console/stats).
 */
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso/router';
import { call, codeOf, type ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';
import { DeadlineTable, EscalationTable, ReceivedTable } from './service-tables.js';
import { queryString, RangeFields, rangeOf } from './stats-range.js';
import { periodLabel } from './stats-words.js';

type ServiceFigures = ResponseOf<'getServiceStats'>;

export function ServiceFiguresScreen() {
  const { query, route } = useLocation();
  const range = rangeOf(query);
  const key = queryString({ ...range });
  const [draft, setDraft] = useState(range);
  const [figures, setFigures] = useState<ServiceFigures | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDraft(range);
    let live = true;
    setError(null);
    call('getServiceStats', { query: { ...range } }).then(
      (f) => live && setFigures(f),
      (err: unknown) => {
        if (!live) return;
        setFigures(null);
        setError(codeOf(err));
      },
    );
    return () => {
      live = false;
    };
  }, [key]);

  return (
    <div class="stack stats">
      <h1>{t('stats.service.title')}</h1>
      <p>{t('stats.service.what')}</p>
      <form
        class="filters no-print"
        aria-label={t('stats.service.form')}
        onSubmit={(e) => {
          e.preventDefault();
          route(`/console/service-figures?${queryString({ ...draft })}`);
        }}
      >
        <RangeFields value={draft} onChange={setDraft} />
        <div class="filter-actions">
          <button type="submit" class="primary">
            {t('stats.show')}
          </button>
        </div>
      </form>
      <Problem code={error} />
      {figures && (
        <>
          <p role="status" class="muted">
            {t('stats.service.range', { from: periodLabel(figures.from), to: periodLabel(figures.to) })}
          </p>
          <section class="card" aria-labelledby="service-received-title">
            <h2 id="service-received-title">{t('stats.service.received')}</h2>
            <ReceivedTable figures={figures} />
          </section>
          <section class="card" aria-labelledby="service-deadlines-title">
            <h2 id="service-deadlines-title">{t('stats.service.deadlines')}</h2>
            <p class="hint">{t('stats.deadlines.what')}</p>
            <DeadlineTable figures={figures} />
          </section>
          <section class="card" aria-labelledby="service-escalations-title">
            <h2 id="service-escalations-title">{t('stats.service.escalations')}</h2>
            <EscalationTable figures={figures} />
          </section>
        </>
      )}
    </div>
  );
}
