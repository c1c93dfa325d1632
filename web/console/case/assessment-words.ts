/**
 * Words of the risk assessment: the policy's own labels for its codes (threat sources, factors)
 * in the reader's language, and the console's words for ratings, kinds and steps.
 */
import { hasText, lang, t } from '../i18n.js';
import { catalogues } from '../ui/catalogues.js';

export type RiskList = 'threatSources' | 'vulnerabilityFactors' | 'capacityFactors';
export type RatingOf = 'threat' | 'vulnerability' | 'capacity';

/** The label of a code of one of the risk policy's lists, the code itself when the list does not know it. */
export function riskCodeLabel(list: RiskList, code: string): string {
  const item = catalogues.value?.risk[list].find((i) => i.code === code);
  return item ? (lang.value === 'fr' ? item.label.fr : item.label.en) : code;
}

/** "3 — Moyenne : ..." for a rating; the number alone on a scale the console has no words for. */
export function ratingText(of: RatingOf, n: number): string {
  // A scale the policy widened past the console's words shows the number alone.
  const words = hasText(`assessment.rating.${of}.${n}`) ? t(`assessment.rating.${of}.${n}`) : null;
  return words === null ? String(n) : t('assessment.rating.option', { n, text: words });
}

/** R as the reader writes numbers (0,2 in French), at most two decimals. */
export function scoreText(r: number): string {
  return new Intl.NumberFormat(lang.value, { maximumFractionDigits: 2 }).format(r);
}
