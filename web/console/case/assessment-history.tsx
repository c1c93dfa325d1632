/**
 * The assessment versions of a case, newest first: when, by whom, the ratings, the level, and the
 * narratives opened in the worker with the case key (AD egide/v1/assessment/<id>/<field>).
 */
import { THREAT_STEPS } from '../../../src/sdk/risk/assessment-fields.js';
import type { ResponseOf } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { account } from '../session.js';
import { Icon, RiskBadge } from '../ui/badges.js';
import { riskCodeLabel, scoreText } from './assessment-words.js';
import { staffName } from '../ui/staff-names.js';

export type Version = ResponseOf<'listCaseAssessments'>['versions'][number];

/** The opened narratives of a version by field name; null: the field did not open. */
export type Opened = Record<string, string | null>;

function Narrative({ label, text }: { label: string; text: string | null | undefined }) {
  if (text === undefined) return null;
  return (
    <>
      <dt>{label}</dt>
      {text === null ? (
        <dd>
          <p class="alert alert-error" role="alert">
            <Icon shape="triangle" /> {t('case.fieldUnopened')}
          </p>
        </dd>
      ) : (
        <dd class="sealed-text">{text}</dd>
      )}
    </>
  );
}

function Factors({ list, codes }: { list: 'vulnerabilityFactors' | 'capacityFactors'; codes: string[] }) {
  return <>{codes.length === 0 ? t('assessment.noFactor') : codes.map((c) => riskCodeLabel(list, c)).join(', ')}</>;
}

export function AssessmentHistory({ versions, opened }: { versions: Version[]; opened: Record<string, Opened> }) {
  if (versions.length === 0) return <p>{t('assessment.none')}</p>;
  const me = account.value?.id;
  return (
    <ol class="assessments">
      {[...versions].reverse().map((v) => {
        const texts = opened[v.id] ?? {};
        return (
          <li key={v.id} class="assessment" data-assessment-id={v.id}>
            <h4>
              {t('assessment.version', { n: v.version })} · <time dateTime={v.createdAt}>{formatDateTime(v.createdAt)}</time>
            </h4>
            <dl class="meta">
              <dt>{t('assessment.assessor')}</dt>
              <dd>{v.createdBy === me ? t('timeline.actor.me') : (staffName(v.createdBy) ?? t('assessment.colleague', { id: v.createdBy.slice(0, 8) }))}</dd>
              <dt>{t('assessment.level')}</dt>
              <dd class="assessment-recorded-level" data-level={v.level}>
                <RiskBadge level={v.level} /> {v.score === null ? t('assessment.noScore') : t('assessment.score', { R: scoreText(v.score) })}
                {v.override && <span> · {t('assessment.override')}</span>}
              </dd>
              <dt>{t('assessment.vulnerabilityRating')}</dt>
              <dd>
                {v.vulnerability.rating} · <Factors list="vulnerabilityFactors" codes={v.vulnerability.factors} />
              </dd>
              <Narrative label={t('assessment.reasoning.vulnerability')} text={texts['reasoning.vulnerability']} />
              <dt>{t('assessment.capacityRating')}</dt>
              <dd>
                {v.capacity.rating} · <Factors list="capacityFactors" codes={v.capacity.factors} />
              </dd>
              <Narrative label={t('assessment.reasoning.capacity')} text={texts['reasoning.capacity']} />
            </dl>
            {v.sealedWithheld && <p class="muted">{t('assessment.withheld')}</p>}
            {v.threats.length === 0 ? (
              <p>{t('assessment.noThreat')}</p>
            ) : (
              <ol class="assessment-threats">
                {v.threats.map((x, i) => (
                  <li key={i}>
                    <p>
                      <strong>{t('assessment.threat', { n: i + 1 })}</strong> · {riskCodeLabel('threatSources', x.source)} · {t(`assessment.kind.${x.kind}`)} ·{' '}
                      {t('assessment.feasibleShort', { answer: t(`assessment.feasible.${x.canBeCarriedOut}`) })}
                      {x.imminent && <> · {t('assessment.imminent')}</>} · {t('assessment.ratingShort', { n: x.rating })}
                    </p>
                    <dl class="fields">
                      {THREAT_STEPS.map((step) => (
                        <Narrative key={step} label={t(`assessment.step.${step}`)} text={texts[`threats.${i}.${step}`]} />
                      ))}
                    </dl>
                  </li>
                ))}
              </ol>
            )}
          </li>
        );
      })}
    </ol>
  );
}
