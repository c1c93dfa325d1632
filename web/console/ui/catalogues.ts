/**
 * The policy catalogues (intake lists, risk levels, workflow) from the API, fetched once per
 * session and kept in memory: the labels of codes in the reader's language (French or English,
 * the languages the policies carry), the code itself when a list does not know it.
 */
import { signal } from '@preact/signals';
import { call, type ResponseOf } from '../api.js';
import { lang, t } from '../i18n.js';

type Catalogues = ResponseOf<'getConsoleCatalogues'>;

export const catalogues = signal<Catalogues | null>(null);
let loading: Promise<Catalogues> | null = null;

/** The catalogues, fetched on first use (a failure is retried on the next use). */
export function loadCatalogues(): Promise<Catalogues> {
  loading ??= call('getConsoleCatalogues').then(
    (c) => (catalogues.value = c),
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

const pick = (labels: { fr: string; en: string }): string => (lang.value === 'fr' ? labels.fr : labels.en);

/** The label of a code of an intake list (region, defenderCategory...). */
export function intakeLabel(list: string, code: string): string {
  const item = catalogues.value?.intake[list]?.find((i) => i.code === code);
  return item ? pick(item) : code;
}

/** The label of a risk level. */
export function riskLabel(level: string): string {
  const item = catalogues.value?.risk.levels[level];
  return item ? pick(item.label) : level;
}

/** The label of a decline code (`not_stated`: declined before the codes existed). */
export function declineReasonLabel(code: string): string {
  const item = catalogues.value?.workflow.declineReasons.find((r) => r.code === code);
  return item ? pick(item) : code === 'not_stated' ? t('declineReason.not_stated') : code;
}
