/**
 * How fast the mechanism answered (GET /v1/stats/response-times): for each step (taken from the
 * pool, triage decision, first measure) the number of requests and the bucket of the median and
 * of the 90th percentile per period; the deadlines by rule; the escalations per step.
 */
import type { ResponseOf } from '../api.js';
import { t } from '../i18n.js';
import { figure, FigureTable } from './figure-table.js';
import { DeadlineTable, EscalationTable, ReceivedTable } from './service-tables.js';
import type { StatsCatalogue } from './stats-catalogue.js';
import { bucketLabel, periodLabel, pick } from './stats-words.js';

type ResponseTimes = ResponseOf<'getStatsResponseTimes'>;

export function ResponseTimesView({ catalogue, figures }: { catalogue: StatsCatalogue; figures: ResponseTimes }) {
  const measures = [...new Set(figures.times.map((x) => x.measure))];
  const nameOf = (measure: string) => {
    const d = catalogue.dimensions.find((x) => x.name === measure);
    return d ? pick(d.label) : measure;
  };
  const columns = [
    { code: 'count', label: t('stats.times.count') },
    { code: 'median', label: t('stats.times.median') },
    { code: 'p90', label: t('stats.times.p90') },
  ];
  return (
    <>
      <p class="hint">{t('stats.times.what')}</p>
      <ReceivedTable figures={figures} />
      {measures.map((measure) => (
        <FigureTable
          key={measure}
          class={`stats-times-${measure}`}
          caption={nameOf(measure)}
          corner={t('stats.times.period')}
          columns={columns}
          rows={figures.times
            .filter((x) => x.measure === measure)
            .map((x) => ({ code: x.period, label: periodLabel(x.period), cells: [figure(x.count), { text: x.count ? bucketLabel(x.median) : '' }, { text: x.count ? bucketLabel(x.p90) : '' }] }))}
        />
      ))}
      <p class="hint">{t('stats.deadlines.what')}</p>
      <DeadlineTable figures={figures} />
      <EscalationTable figures={figures} />
    </>
  );
}
