/** The dimensions a case is counted by: the `dims` of case_stats (migration 0026, stats_case_facts). */
export const CASE_DIMENSIONS = [
  'region',
  'defender_category',
  'gender',
  'disability',
  'urgency',
  'risk_level',
  'violation',
  'perpetrator',
  'decision',
  'decline_reason',
  'verification',
  'officer',
  'sdg_violation',
  'sdg_group',
  'sdg_sex',
  'time_to_acknowledge',
  'time_to_decision',
  'time_to_first_measure',
] as const;
export type CaseDimension = (typeof CASE_DIMENSIONS)[number];
