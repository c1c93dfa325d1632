import { Type, type Static } from 'typebox';
import { B64u, KeyId, PublicKey, SEALED_JSON_BYTES, SealedValue, Uuid, Versioned, responses } from '../lib/schemas.js';
import { ex, filingExample } from '../lib/openapi-examples.js';
import { CaseView } from './case-view.js';
import { operation } from './operation.js';
import { KeyEpoch } from './shared.js';

/** Sealed fields are bounded: a narrative of a few pages, typed on a phone, fits with room to spare. */
export const Sealed = SealedValue(SEALED_JSON_BYTES.caseField, 'sealed on the client under the case DEK, AD egide/v1/case/<caseId>/<field> (docs/crypto-v1.md)');

export const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', description: 'a code of policies/intake.yaml' });

export const Envelope = Versioned(200, 'v1.<b64u(crypto_box_seal(DEK))>');

export const IntakeBody = Type.Object(
  {
    caseId: Uuid,
    metadata: Type.Object(
      {
        region: Code,
        defenderCategory: Code,
        gender: Code,
        disability: Code,
        threatTypes: Type.Array(Code, { minItems: 1, maxItems: 13 }),
        claimedUrgent: Type.Boolean({ description: 'life or physical integrity in imminent danger' }),
        preferredLanguage: Code,
        contactChannel: Code,
        filedFor: Code,
        defenderCard: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    fields: Type.Object(
      { identity: Sealed, contact: Sealed, location: Type.Optional(Sealed), narrative: Sealed, relatives: Type.Optional(Sealed) },
      { additionalProperties: false, description: 'each sealed under the case DEK with AD egide/v1/case/<caseId>/<field>' },
    ),
    envelopes: Type.Object(
      {
        mechanism: Type.Object({ keyId: KeyId, envelope: Envelope }, { additionalProperties: false }),
        defender: Type.Object({ keyId: KeyId, publicKey: PublicKey, envelope: Envelope }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
    receiptVerifier: B64u(43, 'b64u(SHA-256(authKey)) of the receipt'),
  },
  { additionalProperties: false, examples: [filingExample] },
);

const DeadlineView = Type.Object({ id: Uuid, rule: Type.String(), dueAt: Type.String(), state: Type.String(), urgent: Type.Boolean() });
/** A running deadline of a case, as the case read shows it. */
export type CaseDeadline = Static<typeof DeadlineView>;

export const fileCase = operation('fileCase', {
  security: [],
  tags: ['cases'],
  summary: 'File a protection request (no account needed); sealed fields and envelopes made on the client',
  body: IntakeBody,
  response: responses({ 201: Type.Object({ caseId: Uuid, reference: Type.String(), acknowledgeBy: Type.String({ format: 'date-time' }) }) }, [409, 413, 415, 429]),
});

export const fileCaseOnBehalf = operation('fileCaseOnBehalf', {
  tags: ['cases'],
  summary: "Record a request on a defender's behalf: source and consent state recorded, the case key also sealed to the recording officer",
  security: [{ bearer: [] }],
  body: Type.Object(
    {
      ...IntakeBody.properties,
      source: Code,
      consent: Type.Union([Type.Literal('unknown'), Type.Literal('given'), Type.Literal('refused')]),
      filer: Type.Object({ keyId: KeyId, envelope: Envelope }, { additionalProperties: false }),
    },
    { additionalProperties: false, examples: [{ ...filingExample, metadata: { ...filingExample.metadata, filedFor: 'relative' }, source: 'oral_statement', consent: 'unknown', filer: { keyId: ex.keyId2, envelope: ex.envelope2 } }] },
  ),
  response: responses({ 201: Type.Object({ caseId: Uuid, reference: Type.String(), acknowledgeBy: Type.String({ format: 'date-time' }) }) }, [401, 403, 409, 413]),
});

export const loginWithReceipt = operation('loginWithReceipt', {
  security: [],
  tags: ['auth'],
  summary: "A defender's login with the receipt (the client sends the authKey derived from it)",
  body: Type.Object({ authKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) }, { additionalProperties: false, examples: [{ authKey: ex.b64u32 }] }),
  response: responses({ 200: Type.Object({ accessToken: Type.String(), refreshToken: Type.String(), expiresIn: Type.Integer(), tokenType: Type.Literal('Bearer'), caseId: Uuid }) }, [401, 429]),
});

export const getCase = operation('getCase', {
  tags: ['cases'],
  summary: 'Where a case stands: metadata and open deadlines (a defender sees their own case only)',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  response: responses({ 200: Type.Object({ case: CaseView, deadlines: Type.Array(DeadlineView), unreadMessages: Type.Integer({ minimum: 0, description: "messages of others on the case after the caller's read marker" }) }) }, [401, 403, 404]),
});

export const grantCaseEnvelope = operation('grantCaseEnvelope', {
  tags: ['cases'],
  summary: 'Give a staff member the case key, sealed to their public key by a client that holds it',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  description: "With staffKey, the case's staff key (internal notes) is sealed to the same person's key in the same request; refused with no_staff_key when the case has none, key_epoch_changed when the staff key was re-keyed since it was opened.",
  body: Type.Object(
    {
      userId: Uuid,
      keyId: KeyId,
      envelope: Envelope,
      staffKey: Type.Optional(Type.Object({ envelope: Envelope, keyEpoch: KeyEpoch }, { additionalProperties: false, description: 'the staff key sealed to the same key (keyId) as the case key' })),
    },
    { additionalProperties: false, examples: [{ userId: ex.userId, keyId: ex.keyId2, envelope: ex.envelope2 }, { userId: ex.userId, keyId: ex.keyId2, envelope: ex.envelope2, staffKey: { envelope: ex.envelope, keyEpoch: 1 } }] },
  ),
  response: responses({ 201: Type.Object({ caseId: Uuid, userId: Uuid, keyId: Type.String() }) }, [401, 403, 404, 409]),
});

export const getCaseSealed = operation('getCaseSealed', {
  tags: ['cases'],
  summary: "The case's sealed fields and the envelopes the caller's keys open (audited)",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  response: responses({ 200: Type.Object({ caseId: Uuid, keyEpoch: Type.Integer({ minimum: 1, description: 'the case key generation these are sealed under' }), fields: Type.Record(Type.String(), Type.String()), envelopes: Type.Array(Type.Object({ keyId: Type.String(), envelope: Type.String() })) }) }, [401, 403, 404]),
});
