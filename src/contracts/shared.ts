import { Type, type Static } from 'typebox';
import { KeyId, PublicKey, Timestamp, type Problem } from '../lib/schemas.js';

/** Schemas several areas of the API share; each is declared here once. */

/** A problem document (RFC 9457) as the API sends it, with its stable `code`. */
export type ProblemDocument = Static<typeof Problem>;

/** Where a case stands (the `cases.state` column and policies/workflow.yaml). */
export const CASE_STATES = ['received', 'triage', 'info_requested', 'assessment', 'decision', 'protection', 'closed'] as const;

export type CaseState = (typeof CASE_STATES)[number];

// The risk levels are the SDK's, where the level is computed for the server and the console alike.
export { RISK_LEVELS, type RiskLevel } from '../sdk/risk/risk-level.js';

/**
 * Sealed writes name the case key generation they sealed under (`keyEpoch`, from the sealed
 * read). A re-key locks the case row and moves every reader to a new key: a value sealed under
 * the replaced key and stored after it would be readable by a revoked reader's old key and by
 * no current one. Optional, for clients that seal right after reading the key.
 */
export const KeyEpoch = Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'the case key generation the sealed values are under (GET /v1/cases/:caseId/sealed); refused with key_epoch_changed after a re-key' });

/**
 * A public key as the API serves it, a user's or an organisation's: the key, its keyId, and the
 * same 16 bytes as a fingerprint a person can read aloud to compare out of band (on the phone,
 * in person) before sealing anything to it. A client still recomputes the keyId from the key
 * (docs/crypto-v1.md §2) and never trusts the server's word for it.
 */
const Fingerprint = Type.String({
  pattern: '^[0-9A-F]{4}( [0-9A-F]{4}){7}$',
  description: 'the keyId bytes (BLAKE2b-128 of the public key) in upper-case hex, in eight groups of four',
  examples: ['0C07 3BC2 2953 1666 C092 F3D7 01E0 0F41'],
});

export const PublicKeyFields = { keyId: KeyId, publicKey: PublicKey, fingerprint: Fingerprint };

/**
 * Staff recording a defender's answer given orally (to a measure, to a referral) attest how and
 * when it was taken (src/consent/oral-consent.ts checks it).
 */
export const OralConsentSchema = Type.Object(
  {
    channel: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', description: 'a consentChannel code of policies/intake.yaml' }),
    takenAt: Timestamp,
    statement: Type.String({ minLength: 3, maxLength: 500, description: 'short and non-sensitive: who took the answer and how (it is kept in the clear)' }),
  },
  { additionalProperties: false },
);

/**
 * What the caller may do now with one command on a resource (a button of the console): the
 * permission of policies/access.yaml it needs, and when not allowed the problem code the command
 * would be refused with, decided by the same checks as the command itself.
 */
export function CommandState<C extends string>(commands: readonly C[]) {
  return Type.Object(
    {
      command: Type.Unsafe<C>(Type.Union(commands.map((c) => Type.Literal(c)))),
      action: Type.String({ maxLength: 64, description: 'the permission of policies/access.yaml the command needs' }),
      allowed: Type.Boolean(),
      refusal: Type.Union([Type.String({ pattern: '^[a-z_]+$', maxLength: 64 }), Type.Null()], { description: 'when not allowed: the problem code the command would be refused with now' }),
    },
    { additionalProperties: false },
  );
}
