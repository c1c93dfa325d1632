/**
 * The dimensions a case is counted by (the `dims` of case_stats, migration 0026), each with its
 * codes and their French and English labels as the policies give them. One place for both the
 * API's validation and the labels every client shows, so a code has one name everywhere.
 */
import type { IntakePolicy } from '../intake/intake-policy.js';
import type { RiskPolicy } from '../risk/risk-policy.js';
import type { WorkflowPolicy } from '../cases/workflow-policy.js';
import type { StatisticsPolicy } from './statistics-policy.js';
import { VERIFICATION_VALUES } from '../contracts/case-verification.js';

export { CASE_DIMENSIONS, type CaseDimension } from './case-dimensions.js';
import type { CaseDimension } from './case-dimensions.js';

/** Counted once per case ('single') or once per code the case cites ('multi': a case may cite several violations or threat sources). */
export type DimensionKind = 'single' | 'multi';

/** Dimensions that describe the person: crossed with a place they may single someone out. */
export const PROFILE_DIMENSIONS: readonly CaseDimension[] = ['defender_category', 'gender', 'disability', 'sdg_group', 'sdg_sex'];

/** Never in a published table: who handles which case is for supervisors. */
export const INTERNAL_DIMENSIONS: readonly CaseDimension[] = ['officer'];

/** Durations, counted in buckets (stats_bucket): by the hour up to three days, then by the day. */
export const DURATION_DIMENSIONS: readonly CaseDimension[] = ['time_to_acknowledge', 'time_to_decision', 'time_to_first_measure'];

export interface Label {
  fr: string;
  en: string;
}
export interface DimensionInfo {
  name: CaseDimension;
  kind: DimensionKind;
  /** Which cases it counts when not all: the declined ones, the verified ones... */
  only?: 'declined' | 'verified' | 'acknowledged' | 'decided' | 'with_measure';
  label: Label;
  /** The codes in display order; empty for open sets (officers, duration buckets). */
  codes: Array<{ code: string; label: Label }>;
}

const L = (fr: string, en: string): Label => ({ fr, en });

const FIXED: Record<string, Label> = {
  urgent: L('Urgente', 'Urgent'),
  ordinary: L('Ordinaire', 'Ordinary'),
  not_assessed: L('Non évalué', 'Not assessed'),
  none_identified: L('Aucune menace identifiée', 'No threat identified'),
  admitted: L('Recevable', 'Admitted'),
  declined: L('Non recevable', 'Declined'),
  pending: L('En attente de décision', 'Awaiting a decision'),
  closed_before_decision: L('Clos avant décision', 'Closed before a decision'),
  not_stated: L('Non renseigné', 'Not stated'),
  alleged: L('Allégué', 'Alleged'),
  verified: L('Vérifié', 'Verified'),
  not_verified: L('Non vérifié', 'Not verified'),
  low: L('Faible', 'Low'),
  medium: L('Moyen', 'Medium'),
  high: L('Élevé', 'High'),
  extreme: L('Extrême', 'Extreme'),
  // measures and referrals
  proposed: L('Proposée', 'Proposed'),
  consented: L('Consentie', 'Consented'),
  refused: L('Refusée par la personne', 'Refused by the person'),
  approved: L('Approuvée', 'Approved'),
  rejected: L('Rejetée', 'Rejected'),
  implementing: L('En cours de mise en œuvre', 'Being implemented'),
  active: L('Active', 'Active'),
  lifted: L('Levée', 'Lifted'),
  expired: L('Expirée', 'Expired'),
  awaiting_consent: L('En attente du consentement', 'Awaiting consent'),
  sent: L('Envoyée, sans réponse', 'Sent, no answer yet'),
  accepted: L('Acceptée', 'Accepted'),
  withdrawn: L('Retirée', 'Withdrawn'),
  closed: L('Close', 'Closed'),
  // deadlines and escalations
  met: L('Tenu', 'Met'),
  missed: L('Dépassé', 'Missed'),
  open: L('En cours', 'Running'),
  paused: L('Suspendu', 'Paused'),
  cancelled: L('Annulé', 'Cancelled'),
  reminder: L('Rappel', 'Reminder'),
  level1: L('Escalade niveau 1', 'Escalation level 1'),
  level2: L('Escalade niveau 2', 'Escalation level 2'),
  acknowledge: L('Prise en charge', 'Acknowledgement'),
  triage: L('Recevabilité', 'Triage'),
  info_reply: L('Réponse du/de la défenseur·e', "Defender's reply"),
  assessment: L('Évaluation du risque', 'Risk assessment'),
  decision: L('Décision de protection', 'Protection decision'),
  consent: L('Consentement', 'Consent'),
  approval: L('Approbation', 'Approval'),
  implementation: L('Mise en œuvre', 'Implementation'),
  urgent_confirmation: L('Confirmation d’une mesure urgente', 'Confirmation of an urgent measure'),
  review: L('Réexamen', 'Review'),
  referral_response: L('Réponse du partenaire', "Partner's answer"),
  referral_report: L('Rapport du partenaire', "Partner's report"),
  appeal: L('Recours', 'Appeal'),
  checkin: L('Nouvelles du/de la défenseur·e', "Defender's check-in"),
  retention: L('Conservation', 'Retention'),
};

export function fixedLabel(code: string): Label | undefined {
  return FIXED[code];
}

/** The dimensions with their codes and labels, from the loaded policies. */
export function dimensionCatalogue(p: { intake: IntakePolicy; risk: RiskPolicy; workflow: WorkflowPolicy; statistics: StatisticsPolicy }): DimensionInfo[] {
  const intake = (list: 'region' | 'defenderCategory' | 'gender' | 'disability' | 'threatType') => p.intake.lists[list].map((c) => ({ code: c.code, label: L(c.fr, c.en) }));
  const fixed = (...codes: string[]) => codes.map((code) => ({ code, label: FIXED[code] ?? L(code, code) }));
  const sdg = (codes: readonly string[]) => codes.map((code) => ({ code, label: p.statistics.sdg16101.labels[code] ?? L(code, code) }));
  const sdgViolations = [...new Set(Object.values(p.statistics.sdg16101.violations))];
  const sdgGroups = [...new Set(Object.values(p.statistics.sdg16101.populationGroups))];
  return [
    { name: 'region', kind: 'single', label: L('Région', 'Region'), codes: intake('region') },
    { name: 'defender_category', kind: 'single', label: L('Profil du/de la défenseur·e', "Defender's profile"), codes: intake('defenderCategory') },
    { name: 'gender', kind: 'single', label: L('Genre', 'Gender'), codes: intake('gender') },
    { name: 'disability', kind: 'single', label: L('Handicap', 'Disability'), codes: intake('disability') },
    { name: 'urgency', kind: 'single', label: L('Urgence', 'Urgency'), codes: fixed('urgent', 'ordinary') },
    { name: 'risk_level', kind: 'single', label: L('Niveau de risque', 'Risk level'), codes: fixed('extreme', 'high', 'medium', 'low', 'not_assessed') },
    { name: 'violation', kind: 'multi', label: L('Violation alléguée', 'Alleged violation'), codes: intake('threatType') },
    {
      name: 'perpetrator',
      kind: 'multi',
      label: L('Auteur présumé', 'Alleged perpetrator'),
      codes: [...p.risk.threatSources.map((s) => ({ code: s.code, label: L(s.label.fr, s.label.en) })), ...fixed('none_identified', 'not_assessed')],
    },
    { name: 'decision', kind: 'single', label: L('Décision de recevabilité', 'Admissibility decision'), codes: fixed('admitted', 'declined', 'pending', 'closed_before_decision') },
    {
      name: 'decline_reason',
      kind: 'single',
      only: 'declined',
      label: L('Motif de non-recevabilité', 'Reason for declining'),
      codes: [...p.workflow.declineReasons.map((r) => ({ code: r.code, label: L(r.fr, r.en) })), ...fixed('not_stated')],
    },
    { name: 'verification', kind: 'single', label: L('Vérification de la violation', 'Verification of the violation'), codes: fixed(...VERIFICATION_VALUES.filter((v) => v !== 'not_stated'), 'not_stated') },
    { name: 'officer', kind: 'single', label: L('Agent·e en charge', 'Officer in charge'), codes: [] },
    { name: 'sdg_violation', kind: 'multi', only: 'verified', label: L('Violation (ODD 16.10.1)', 'Violation (SDG 16.10.1)'), codes: sdg(sdgViolations) },
    { name: 'sdg_group', kind: 'single', only: 'verified', label: L('Groupe de population (ODD 16.10.1)', 'Population group (SDG 16.10.1)'), codes: sdg(sdgGroups) },
    { name: 'sdg_sex', kind: 'single', only: 'verified', label: L('Sexe (ODD 16.10.1)', 'Sex (SDG 16.10.1)'), codes: intake('gender') },
    { name: 'time_to_acknowledge', kind: 'single', only: 'acknowledged', label: L('Délai de prise en charge', 'Time to acknowledge'), codes: [] },
    { name: 'time_to_decision', kind: 'single', only: 'decided', label: L('Délai de décision de recevabilité', 'Time to the triage decision'), codes: [] },
    { name: 'time_to_first_measure', kind: 'single', only: 'with_measure', label: L('Délai jusqu’à la première mesure', 'Time to the first measure'), codes: [] },
  ];
}
