import type { Implementer, Measure } from './measure-catalogue.js';
import type { MeasureRow } from './measure-repository.js';

/**
 * Who carries a measure out, as the API and the measures table name it. The catalogue says
 * `state_authority` (what the institution reads in policies/measures.yaml); the API and the table
 * say `state`.
 */
export const API_IMPLEMENTERS = ['cndh', 'state', 'partner'] as const;
export type ApiImplementer = (typeof API_IMPLEMENTERS)[number];

export const catalogueImplementer: Record<ApiImplementer, Implementer> = { cndh: 'cndh', state: 'state_authority', partner: 'partner' };
const apiImplementer: Record<Implementer, ApiImplementer> = { cndh: 'cndh', state_authority: 'state', partner: 'partner' };

export function catalogueEntryView(m: Measure) {
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

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/**
 * What the defender sees of a measure on their case: what it is, where it stands, its dates, the
 * sealed details (they hold the case key) and the reasons they were given. Never who on the staff
 * proposed, decided or lifted it, nor the recorder of an oral consent (consentBy, the attestation).
 */
export function defenderMeasureView(m: MeasureRow) {
  return {
    id: m.id,
    caseId: m.caseId,
    code: m.code,
    category: m.category,
    implementer: m.implementer,
    implementerOrgId: m.implementerOrgId,
    urgent: m.urgent,
    status: m.status,
    details: m.details,
    durationDays: m.durationDays,
    proposedAt: m.proposedAt.toISOString(),
    consentAt: iso(m.consentAt),
    /** `defender` when they answered themself, `staff` when their oral consent was recorded for them */
    consentGivenThrough: m.consentBy === null ? null : m.consentBy.startsWith('d:') ? ('defender' as const) : ('staff' as const),
    decidedAt: iso(m.decidedAt),
    decisionReason: m.decisionReason,
    startsAt: iso(m.startsAt),
    endsAt: iso(m.endsAt),
    confirmedAt: iso(m.confirmedAt),
    endedAt: iso(m.endedAt),
    endReason: m.endReason,
  };
}

/** Staff see everything the server holds about a measure (the details stay sealed). */
export function staffMeasureView(m: MeasureRow) {
  return {
    ...defenderMeasureView(m),
    proposedBy: m.proposedBy,
    consentBy: m.consentBy,
    consentAttestation: m.consentAttestation,
    decidedBy: m.decidedBy,
    endedBy: m.endedBy,
    updatedAt: m.updatedAt.toISOString(),
  };
}

export type MeasureView = ReturnType<typeof defenderMeasureView> &
  Partial<Omit<ReturnType<typeof staffMeasureView>, keyof ReturnType<typeof defenderMeasureView>>> & {
    /** the details were left out: a supervisor outside the case (src/lib/sealed-withheld.ts) */
    sealedWithheld?: true;
  };
