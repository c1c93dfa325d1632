/**
 * Whether staff verified the violation a case alleges, as SDG indicator 16.10.1 counts it: what
 * the defender reports (`alleged`, every new case), confirmed from independent sources
 * (`verified`), or that staff could not confirm (`not_verified`). A code the service sees, never
 * free text. Plain data without TypeBox: the database schema and the console read it too.
 */
export const VERIFICATION_STATUSES = ['alleged', 'verified', 'not_verified'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

/** The status of the cases filed before verification existed: shown and counted, never chosen. */
export const VERIFICATION_NOT_STATED = 'not_stated';

/** Every value the `cases.verification` column holds. */
export const VERIFICATION_VALUES = [VERIFICATION_NOT_STATED, ...VERIFICATION_STATUSES] as const;
export type Verification = (typeof VERIFICATION_VALUES)[number];
