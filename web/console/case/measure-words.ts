/**
 * A measure in words: its name from the catalogue, who proposed and decided it (the caller, or a
 * colleague named by a short account number: the console has no staff directory), the defender's
 * answer and the supervisor's decision as sentences.
 */
import type { ResponseOf } from '../api.js';
import { formatDateTime, lang, t } from '../i18n.js';
import { intakeLabel } from '../ui/catalogues.js';
import { account } from '../session.js';
import { staffName } from '../ui/staff-names.js';

export type Measure = ResponseOf<'listCaseMeasures'>['items'][number];
export type CatalogueEntry = ResponseOf<'getMeasureCatalogue'>['items'][number];
export type MeasureCommand = NonNullable<Measure['actions']>[number]['command'];

export const pick = (labels: { fr: string; en: string }): string => (lang.value === 'fr' ? labels.fr : labels.en);

/** The catalogue's name of a code (the code itself for one the catalogue no longer has). */
export function measureName(code: string, catalogue: CatalogueEntry[]): string {
  const entry = catalogue.find((e) => e.code === code);
  return entry ? pick(entry.label) : code;
}

/** A staff member: "you", a colleague by name, or by the start of their account number while the directory has not answered. */
export function staffText(userId: string | null | undefined): string {
  if (!userId) return t('measures.someone');
  if (userId === account.value?.id) return t('measures.you');
  const name = staffName(userId);
  return name ?? t('measures.colleague', { id: userId.slice(0, 8) });
}

/** The defender's answer: awaited, given by them, recorded orally by staff (how, when), or refused. */
export function consentText(m: Measure): string {
  if (m.status === 'proposed') return t('measures.consent.waiting');
  if (!m.consentAt) return t('measures.consent.none');
  const refused = m.status === 'refused' && m.consentGivenThrough !== null;
  if (m.consentGivenThrough === 'staff') {
    const a = m.consentAttestation;
    const how = a ? t('measures.consent.how', { channel: intakeLabel('consentChannel', a.channel), takenAt: formatDateTime(a.takenAt) }) : '';
    const words = { by: staffText(m.consentBy?.replace(/^u:/, '')), at: formatDateTime(m.consentAt), how };
    return refused ? t('measures.consent.refusedOral', words) : t('measures.consent.oral', words);
  }
  const at = { at: formatDateTime(m.consentAt) };
  return refused ? t('measures.consent.refused', at) : t('measures.consent.given', at);
}

/** The supervisor's decision: awaited (four eyes), approved or rejected, by whom, when. */
export function decisionText(m: Measure): string | null {
  if (m.status === 'proposed' || m.status === 'refused') return null;
  if (m.status === 'consented') return t('measures.decision.waiting');
  if (!m.decidedAt) return null;
  const words = { by: staffText(m.decidedBy), at: formatDateTime(m.decidedAt) };
  return m.status === 'rejected' ? t('measures.decision.rejected', words) : t('measures.decision.approved', words);
}

/** The sealed details as text: a `{ text }` object (what this console seals), else the value as JSON. */
export function detailsText(value: unknown): string {
  if (value && typeof value === 'object' && 'text' in value && typeof value.text === 'string') return value.text;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
