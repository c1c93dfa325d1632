import { Type } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { KeyId, SEALED_JSON_BYTES, SealedValue, Uuid, Versioned, responses } from '../lib/schemas.js';
import { REKEY_ITEM_KINDS, type RekeyItemKind } from '../sdk/client/rekey.js';
import { operation } from './operation.js';
import { StaffKeyEnvelope } from './note.js';

// Typed as the SDK's list: a union mapped from an array would type as never.
export const Kind = Type.Unsafe<RekeyItemKind>(Type.Union(REKEY_ITEM_KINDS.map((k) => Type.Literal(k)), { description: 'where the value lives: case_field, message, assessment, measure, case_report, appeal, file' }));

export const Field = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$', description: 'the field part of the AD' });

export const RecipientType = Type.Union([Type.Literal('org'), Type.Literal('user'), Type.Literal('defender')]);

const RecipientId = Type.String({ minLength: 1, maxLength: 64, description: 'org id, user id, or the case id for the defender' });

// Every sealed value of a case, the largest kind included (a format-1 value re-sealed as format 2 grows by its padding).
export const Sealed = SealedValue(SEALED_JSON_BYTES.caseField, 're-sealed under the new DEK with the same AD');

export const Envelope = Versioned(200, 'v1.<b64u(crypto_box_seal(new DEK))>');

/** A case's content travels in one request: bigger than the default body limit, still bounded. */
export const REKEY_BODY_LIMIT = 32 * 1024 * 1024;

const MAX_ITEMS = 20_000;

const Bundle = Type.Object({
  caseId: Uuid,
  epoch: Type.Integer(),
  envelopes: Type.Array(
    Type.Object({
      keyId: Type.String(),
      recipientType: RecipientType,
      recipientId: Type.String(),
      currentKeyId: Type.Union([Type.String(), Type.Null()], { description: 'the key a new envelope must be addressed to; null: this reader must be revoked' }),
      publicKey: Type.Union([Type.String(), Type.Null()], { description: "that key's public key (null only for a defender of a case filed before public keys were kept); clients pin what they can" }),
    }),
  ),
  own: Type.Array(Type.Object({ keyId: Type.String(), envelope: Type.String() }), { description: "the caller's envelope(s): what opens the current DEK" }),
  items: Type.Array(Type.Object({ kind: Type.String(), id: Type.String(), field: Type.String(), ad: Type.String(), sealed: Type.String() })),
  staff: Type.Union(
    [
      Type.Object({
        epoch: Type.Integer(),
        own: Type.Array(Type.Object({ keyId: Type.String(), envelope: Type.String() }), { description: "the caller's staff-key envelope(s)" }),
        holders: Type.Array(Type.Object({ keyId: Type.String(), recipientType: Type.String(), recipientId: Type.String() }), { description: 'who holds the staff key now' }),
        notes: Type.Array(Type.Object({ id: Type.String(), author: Type.String(), ad: Type.String(), sealed: Type.String() }), { description: 'every internal note, sealed under the staff key' }),
      }),
      Type.Null(),
    ],
    { description: 'the staff key (internal notes), null when the case has none: a re-key replaces it too' },
  ),
});

export const RekeyBody = Type.Object(
  {
    epoch: Type.Integer({ minimum: 1, description: 'the epoch of the bundle the client re-sealed' }),
    revoke: Type.Array(KeyId, { maxItems: 100, uniqueItems: true, description: 'keyIds of the envelopes to remove (never the mechanism nor the defender)' }),
    envelopes: Type.Array(Type.Object({ keyId: KeyId, envelope: Envelope, recipientType: RecipientType, recipientId: RecipientId }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 200,
      description: 'the new DEK sealed to each remaining reader, at their current key',
    }),
    items: Type.Array(Type.Object({ kind: Kind, id: Uuid, field: Field, sealed: Sealed }, { additionalProperties: false }), { maxItems: MAX_ITEMS, description: 'every sealed value of the case, re-sealed under the new DEK (same AD)' }),
    staff: Type.Optional(
      Type.Object(
        {
          envelopes: Type.Array(StaffKeyEnvelope, { minItems: 1, maxItems: 200, description: 'a new staff key sealed to each remaining staff holder, at their current key' }),
          notes: Type.Array(Type.Object({ id: Uuid, sealed: Sealed }, { additionalProperties: false }), { maxItems: MAX_ITEMS, description: 'every internal note, re-sealed under the new staff key (same AD)' }),
        },
        { additionalProperties: false, description: 'required when the case has a staff key (internal notes), refused when it has none' },
      ),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      // An officer taken off the case loses their envelope; the mechanism and the defender get the new DEK.
      {
        epoch: 1,
        revoke: [ex.memberKeyId],
        envelopes: [
          { keyId: ex.keyId, envelope: ex.envelope, recipientType: 'org', recipientId: ex.orgId },
          { keyId: ex.keyId2, envelope: ex.envelope2, recipientType: 'defender', recipientId: ex.caseId },
        ],
        items: [
          { kind: 'case_field', id: ex.caseId, field: 'identity', sealed: ex.sealed },
          { kind: 'case_field', id: ex.caseId, field: 'contact', sealed: ex.sealed2 },
          { kind: 'case_field', id: ex.caseId, field: 'narrative', sealed: ex.sealed3 },
          { kind: 'message', id: ex.messageId, field: 'body', sealed: ex.sealed },
        ],
      },
    ],
  },
);

export const getCaseRekeyBundle = operation('getCaseRekeyBundle', {
  tags: ['cases'],
  summary: "What a re-keying client needs: the key epoch, the case's readers, the caller's envelope(s) and every sealed value with its AD (audited)",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  response: responses({ 200: Bundle }, [401, 403, 404, 409]),
});

export const rekeyCase = operation('rekeyCase', {
  tags: ['cases'],
  summary: 'Revoke readers and re-key the case: every sealed value and every envelope replaced at once, the key epoch moves on',
  description:
    'Refused with key_epoch_changed when the case was re-keyed since the bundle was read, rekey_incomplete when a sealed value or a remaining reader is left out (or an envelope is not at the reader’s current key), conflict when revoking the mechanism’s or the defender’s envelope. Allowed on a closed case.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: RekeyBody,
  response: responses(
    {
      200: Type.Object({
        caseId: Uuid,
        epoch: Type.Integer(),
        revoked: Type.Array(Type.Object({ keyId: Type.String(), recipientType: Type.String(), recipientId: Type.String() })),
        envelopes: Type.Array(Type.Object({ keyId: Type.String(), recipientType: Type.String(), recipientId: Type.String() })),
        items: Type.Integer({ description: 'how many sealed values were replaced' }),
      }),
    },
    [401, 403, 404, 409, 413],
  ),
});
