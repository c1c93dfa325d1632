import { Type, type Static } from 'typebox';
import { SEALED_JSON_BYTES, SealedValue, Uuid, responses } from '../lib/schemas.js';
import { ex } from '../lib/openapi-examples.js';
import { KeyEpoch } from './shared.js';
import { operation } from './operation.js';

export const Message = Type.Object({ id: Uuid, sender: Type.String(), senderRole: Type.String(), body: Type.String(), createdAt: Type.String({ format: 'date-time' }) });
/** One message of a case's thread (the body sealed). */
export type MessageView = Static<typeof Message>;

export const sendMessage = operation('sendMessage', {
  tags: ['messages'],
  summary: 'Send a sealed message on a case (the sender is bound into the ciphertext)',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object(
    {
      id: Uuid,
      body: SealedValue(SEALED_JSON_BYTES.text, 'sealed under the case DEK, AD egide/v1/message/<id>/<sender>/body'),
      keyEpoch: Type.Optional(KeyEpoch),
    },
    { additionalProperties: false, examples: [{ id: ex.messageId, body: ex.sealed, keyEpoch: 1 }] },
  ),
  response: responses({ 201: Type.Object({ id: Uuid, caseId: Uuid, sender: Type.String(), createdAt: Type.String() }) }, [401, 403, 404, 409]),
});

export const listCaseMessages = operation('listCaseMessages', {
  tags: ['messages'],
  summary: 'The sealed messages of a case, oldest first',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  querystring: Type.Object(
    { afterAt: Type.Optional(Type.String({ format: 'date-time' })), afterId: Type.Optional(Uuid), limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$' })) },
    { additionalProperties: false },
  ),
  response: responses({ 200: Type.Object({ items: Type.Array(Message), unread: Type.Integer({ minimum: 0, description: "messages of others after the caller's read marker (POST /v1/cases/:caseId/messages/read)" }) }) }, [401, 403, 404]),
});

export const markMessagesRead = operation('markMessagesRead', {
  tags: ['messages'],
  summary: "Mark a case's messages read up to one of them (the caller's own read marker; it never moves back, so repeating is harmless)",
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object({ upTo: Uuid }, { additionalProperties: false, examples: [{ upTo: ex.messageId }] }),
  response: responses({ 200: Type.Object({ caseId: Uuid, lastReadId: Uuid, lastReadAt: Type.String({ format: 'date-time' }), unread: Type.Integer({ minimum: 0 }) }) }, [401, 403, 404]),
});
