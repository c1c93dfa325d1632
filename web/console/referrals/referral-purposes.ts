/**
 * The purposes of policies/referrals.yaml the propose form offers (the API refuses any other);
 * their words are in the console's catalogues (`referrals.purpose.<code>`). A referral already
 * made shows the label the API gives with it.
 */
export const PURPOSES = [
  'legal_assistance',
  'emergency_grant',
  'relocation',
  'medical_care',
  'psychosocial_support',
  'protection_measure',
  'advocacy',
  'investigation',
  'digital_security',
  'trial_monitoring',
] as const;

/** How many evidence files one referral may carry (MAX_REFERRAL_FILES of src/contracts/referral.ts; a test holds them equal). */
export const MAX_REFERRAL_FILES = 20;
