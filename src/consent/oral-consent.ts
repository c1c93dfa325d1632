import type { Static } from 'typebox';
import { OralConsentSchema } from '../contracts/shared.js';
import type { FieldError } from '../lib/problem.js';

/**
 * Staff recording a defender's answer given orally (to a measure, to a referral) attest how and
 * when it was taken; the recorder is the staff member's own account. The channels are the
 * `consentChannel` codes of policies/intake.yaml, shared by every consent the procedure asks for.
 */
export type OralConsent = Static<typeof OralConsentSchema>;

// A staff member's device clock may run a little ahead of the server's.
const SKEW_MS = 5 * 60_000;

/**
 * Checks an attestation: a known channel, a time that is neither in the future nor before the
 * question was asked (`askedAt`), a statement that says something. Returns it normalised, or the
 * field errors.
 */
export function checkOralConsent(a: OralConsent, opts: { now: Date; askedAt: Date; channelKnown: (code: string) => boolean }): { value: OralConsent } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!opts.channelKnown(a.channel)) errors.push({ field: '/body/attestation/channel', message: 'not a consentChannel code of policies/intake.yaml' });
  const takenAt = new Date(a.takenAt);
  if (Number.isNaN(takenAt.getTime())) errors.push({ field: '/body/attestation/takenAt', message: 'is not a date' });
  else if (takenAt.getTime() > opts.now.getTime() + SKEW_MS) errors.push({ field: '/body/attestation/takenAt', message: 'is in the future' });
  else if (takenAt.getTime() < opts.askedAt.getTime() - SKEW_MS) errors.push({ field: '/body/attestation/takenAt', message: 'is before the question was asked: the answer must be to this proposal' });
  if (a.statement.trim().length === 0) errors.push({ field: '/body/attestation/statement', message: 'must not be blank' });
  return errors.length > 0 ? { errors } : { value: { channel: a.channel, takenAt: takenAt.toISOString(), statement: a.statement } };
}
