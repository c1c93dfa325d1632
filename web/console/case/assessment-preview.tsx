/**
 * The level of the assessment as it is typed: a word and a shape (RiskBadge), the sum that gave
 * it (R = T x V / C), and why when the override raised it. Announced politely to screen readers.
 */
import type { RiskResult, RiskRule } from '../../../src/sdk/risk/risk-level.js';
import { t } from '../i18n.js';
import { RiskBadge, UrgentBadge } from '../ui/badges.js';
import { riskLabel } from '../ui/catalogues.js';
import { scoreText } from './assessment-words.js';

interface Props {
  result: RiskResult | null;
  rule: RiskRule | null;
  vulnerability: number | null;
  capacity: number | null;
}

export function LevelPreview({ result, rule, vulnerability, capacity }: Props) {
  return (
    <div class="assessment-level" aria-live="polite" data-level={result?.level ?? ''}>
      <p class="assessment-level-title">
        <strong>{t('assessment.levelNow')}</strong>{' '}
        {result ? <RiskBadge level={result.level} /> : <span>{rule ? t('assessment.levelPending') : t('assessment.levelUnknown')}</span>}
        {result?.urgent && <UrgentBadge />}
      </p>
      {result && result.R === null && <p>{t('assessment.noThreatLow')}</p>}
      {result && result.R !== null && result.T !== null && (
        <p>{t('assessment.formula', { T: result.T, V: vulnerability ?? '', C: capacity ?? '', R: scoreText(result.R) })}</p>
      )}
      {result?.override && rule && <p class="alert alert-error">{t('assessment.overrideFired', { level: riskLabel(rule.override.level) })}</p>}
      {result?.urgent && <p>{t('assessment.urgentTrack')}</p>}
    </div>
  );
}
