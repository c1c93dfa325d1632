import { Type, type Static } from 'typebox';
import { KeyId, NullableScalar, SEALED_JSON_BYTES, SealedValue, Uuid, Versioned, responses } from '../lib/schemas.js';
import { ex } from '../lib/openapi-examples.js';
import { KeyEpoch } from './shared.js';
import { operation } from './operation.js';

const StaffRecipientType = Type.Union([Type.Literal('org'), Type.Literal('user')], { description: 'the mechanism (org) or an officer or supervisor (user); never the defender nor a partner' });

/** The staff key sealed to one staff holder of the case. */
export const StaffKeyEnvelope = Type.Object(
  {
    keyId: KeyId,
    envelope: Versioned(200, 'v1.<b64u(crypto_box_seal(staff key))>'),
    recipientType: StaffRecipientType,
    recipientId: Type.String({ minLength: 1, maxLength: 64, description: 'the mechanism org id or a user id' }),
  },
  { additionalProperties: false },
);

export const Note = Type.Object({ id: Uuid, author: Type.String(), authorRole: Type.String(), body: Type.String(), createdAt: Type.String({ format: 'date-time' }) });
/** One internal note of a case (the body sealed under the staff key). */
export type NoteView = Static<typeof Note>;

export const createStaffKey = operation('createStaffKey', {
  tags: ['cases'],
  summary: "Upload a case's staff key (once), sealed by the first staff client that needs it to every staff holder of the case",
  description:
    'The staff key seals internal notes; it goes to the officers and supervisors who hold a case envelope and to the mechanism key, never to the defender nor to a partner. Refused with already_exists when the case has one, rekey_incomplete when an envelope is missing, extra or not at the keyId of the holder’s case envelope.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object(
    { envelopes: Type.Array(StaffKeyEnvelope, { minItems: 1, maxItems: 200 }) },
    { additionalProperties: false, examples: [{ envelopes: [{ keyId: ex.keyId, envelope: ex.envelope, recipientType: 'org', recipientId: ex.orgId }, { keyId: ex.keyId2, envelope: ex.envelope2, recipientType: 'user', recipientId: ex.userId }] }] },
  ),
  response: responses({ 201: Type.Object({ caseId: Uuid, keyEpoch: Type.Integer(), envelopes: Type.Array(Type.Object({ keyId: Type.String(), recipientType: Type.String(), recipientId: Type.String() })) }) }, [401, 403, 404, 409]),
});

export const createNote = operation('createNote', {
  tags: ['cases'],
  summary: 'Write an internal note on a case, sealed under its staff key (never readable with the case key the defender holds)',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object(
    {
      id: Uuid,
      body: SealedValue(SEALED_JSON_BYTES.text, 'sealed under the staff key, AD egide/v1/note/<caseId>/<noteId>/<author>/body'),
      keyEpoch: Type.Optional(KeyEpoch),
    },
    { additionalProperties: false, examples: [{ id: ex.messageId, body: ex.sealed, keyEpoch: 1 }] },
  ),
  response: responses({ 201: Type.Object({ id: Uuid, caseId: Uuid, author: Type.String(), createdAt: Type.String() }) }, [401, 403, 404, 409]),
});

export const listCaseNotes = operation('listCaseNotes', {
  tags: ['cases'],
  summary: "The internal notes of a case, oldest first, with the caller's staff-key envelope and the staff holders a staff key goes to (audited)",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  querystring: Type.Object(
    { afterAt: Type.Optional(Type.String({ format: 'date-time' })), afterId: Type.Optional(Uuid), limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$' })) },
    { additionalProperties: false },
  ),
  response: responses(
    {
      200: Type.Object({
        staffKey: Type.Union(
          [Type.Object({ keyEpoch: Type.Integer(), own: Type.Array(Type.Object({ keyId: Type.String(), envelope: Type.String() }), { description: "the caller's staff-key envelope(s); empty: ask a holder to grant it" }) }), Type.Null()],
          { description: 'null: the case has no staff key yet (POST /v1/cases/:caseId/staff-key)' },
        ),
        holders: Type.Array(
          Type.Object({ keyId: Type.String(), recipientType: Type.String(), recipientId: Type.String(), publicKey: NullableScalar<string>({ type: 'string', maxLength: 64 }) }),
          { description: 'the staff holders of the case (case envelopes of officers, supervisors and the mechanism): whom a new staff key is sealed to; publicKey null when the holder has moved to another key' },
        ),
        items: Type.Array(Note),
      }),
    },
    [401, 403, 404],
  ),
});
