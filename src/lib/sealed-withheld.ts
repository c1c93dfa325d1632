import { Type } from 'typebox';

/**
 * Set (to true) on an answer whose sealed values were left out: the caller is a supervisor outside
 * the case without an open break-glass (src/access/case-participation.ts). The metadata is all
 * there; the sealed values read as null (or an empty map), whatever they hold.
 */
export const SealedWithheld = Type.Optional(
  Type.Literal(true, { description: 'the sealed values are left out: you are not part of this case; open a break-glass (POST /v1/cases/{caseId}/break-glass) to read them' }),
);

/** `{ sealedWithheld: true }` to spread into an answer when the values were left out, nothing otherwise. */
export const withheldFlag = (served: boolean): { sealedWithheld?: true } => (served ? {} : { sealedWithheld: true });
