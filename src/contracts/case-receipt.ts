import { Type } from 'typebox';
import { ex } from '../lib/openapi-examples.js';
import { B64u, KeyId, PublicKey, Uuid, responses } from '../lib/schemas.js';
import { REKEY_BODY_LIMIT, RekeyBody } from './case-rekey.js';
import { operation } from './operation.js';

/** A re-issue carries the whole case re-sealed, as a re-key does. */
export const REISSUE_BODY_LIMIT = REKEY_BODY_LIMIT;

export const ReissueReceiptBody = Type.Object(
  {
    epoch: RekeyBody.properties.epoch,
    // Why the receipt is replaced: a code for the audit log and the timeline, never a story.
    cause: Type.Union([Type.Literal('lost'), Type.Literal('seized'), Type.Literal('disclosed'), Type.Literal('other')], {
      description: 'lost, seized (taken from the defender), disclosed (seen by someone else), other',
    }),
    receipt: Type.Object(
      {
        verifier: B64u(43, 'b64u(SHA-256(authKey)) of the new receipt: what the receipt login is checked against'),
        keyId: KeyId,
        publicKey: PublicKey,
      },
      { additionalProperties: false, description: "what the server keeps of the new receipt, as at filing: never the receipt, its authKey or its private key" },
    ),
    envelopes: Type.Array(RekeyBody.properties.envelopes.items, {
      minItems: 1,
      maxItems: 200,
      description: "the new DEK sealed to every reader of the case at their current key, the defender's at the new receipt key (the old receipt key gets none)",
    }),
    items: RekeyBody.properties.items,
  },
  {
    additionalProperties: false,
    examples: [
      {
        epoch: 2,
        cause: 'seized',
        receipt: { verifier: ex.b64u32b, keyId: ex.keyId2, publicKey: ex.publicKey },
        envelopes: [
          { keyId: ex.keyId, envelope: ex.envelope, recipientType: 'org', recipientId: ex.orgId },
          { keyId: ex.keyId2, envelope: ex.envelope2, recipientType: 'defender', recipientId: ex.caseId },
        ],
        items: [
          { kind: 'case_field', id: ex.caseId, field: 'identity', sealed: ex.sealed },
          { kind: 'message', id: ex.messageId, field: 'body', sealed: ex.sealed2 },
        ],
      },
    ],
  },
);

export const reissueReceipt = operation('reissueReceipt', {
  tags: ['cases'],
  summary: "Replace a defender's lost or seized receipt: the case re-keyed to the new receipt's key, the old receipt's login and sessions ended, at once",
  description:
    'The officer’s client (SDK prepareReceiptReissue) draws a new receipt, derives its keys, re-seals every sealed value under a new case key and seals it to every reader, the defender at the new receipt key; the new receipt is handed to the defender out of band and never sent. Refused with key_epoch_changed when the case was re-keyed since the bundle (GET /v1/cases/:caseId/rekey) was read, rekey_incomplete when a sealed value or a reader is left out, receipt_unchanged when the receipt material is the current one, already_exists when another case uses that receipt. Nothing changes on a refusal.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: ReissueReceiptBody,
  response: responses(
    {
      200: Type.Object({
        caseId: Uuid,
        epoch: Type.Integer({ description: 'the new key epoch' }),
        keyId: Type.String({ description: "the defender's new receipt keyId" }),
        sessionsEnded: Type.Integer({ description: "how many of the old receipt's sessions were ended" }),
        items: Type.Integer({ description: 'how many sealed values were replaced' }),
      }),
    },
    [401, 403, 404, 409, 413],
  ),
});
