import type { Implementer, Measure } from './measure-catalogue.js';
import type { CatalogueEntry, MeasureView } from '../contracts/measure.js';

/**
 * Who carries a measure out, as the API and the measures table name it. The catalogue says
 * `state_authority` (what the institution reads in policies/measures.yaml); the API and the table
 * say `state`.
 */
export const API_IMPLEMENTERS = ['cndh', 'state', 'partner'] as const;
export type ApiImplementer = (typeof API_IMPLEMENTERS)[number];

export const catalogueImplementer: Record<ApiImplementer, Implementer> = { cndh: 'cndh', state: 'state_authority', partner: 'partner' };
const apiImplementer: Record<Implementer, ApiImplementer> = { cndh: 'cndh', state_authority: 'state', partner: 'partner' };

export function catalogueEntryView(m: Measure): CatalogueEntry {
  return {
    code: m.code,
    category: m.category,
    label: { fr: m.label.fr, en: m.label.en },
    implementers: m.implementers.map((i) => apiImplementer[i]),
    durationDays: m.durationDays,
    maxDurationDays: m.maxDurationDays,
    reviewLeadDays: m.reviewLeadDays,
    warning: m.warning ? { fr: m.warning.fr, en: m.warning.en } : null,
    requiresExplicitConsent: m.requiresExplicitConsent,
  };
}

/**
 * What the defender sees of a measure on their case: what it is, where it stands, its dates, the
 * sealed details (they hold the case key) and the reasons they were given. Never who on the staff
 * proposed, decided or lifted it, nor the recorder of an oral consent (consentBy, the attestation).
 */
export function defenderMeasureView(v: MeasureView): MeasureView {
  const { proposedBy, consentBy, consentAttestation, decidedBy, endedBy, updatedAt, ...shown } = v;
  return shown;
}
