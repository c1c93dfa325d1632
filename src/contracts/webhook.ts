import { Type } from 'typebox';
import { Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

const Endpoint = Type.Object({
  id: Uuid,
  orgId: Uuid,
  origin: Type.String({ description: "The URL's scheme, host and port. The whole URL, which may carry the partner's own token, is kept sealed and is never shown again.", examples: ['https://partner.example.org'] }),
  createdAt: Timestamp,
  disabledAt: Type.Union([Timestamp, Type.Null()]),
});

export const createWebhook = operation('createWebhook', {
  tags: ['notifications'],
  summary: 'Register a webhook for a partner organisation; the signing secret is returned once',
  description:
    'The URL must be https to a public address (its name is resolved and checked now, and again at each delivery). It is stored sealed and shown afterwards by its origin only. ' +
    'Deliveries are at least once: each POST carries `X-Egide-Delivery` (the same id on every retry), `X-Egide-Event`, `X-Egide-Timestamp` and `X-Egide-Signature`; a receiver ignores a delivery id it has already processed.',
  security: [{ bearer: [] }],
  params: Type.Object({ orgId: Uuid }, { additionalProperties: false }),
  body: Type.Object({ url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 }) }, { additionalProperties: false, examples: [{ url: 'https://partner.example.org/egide/hooks' }] }),
  response: responses({ 201: Type.Object({ ...Endpoint.properties, secret: Type.String({ description: 'HMAC-SHA256 key; X-Egide-Signature: sha256=<hex HMAC(secret, timestamp + "." + body)>' }) }) }, [400, 401, 403, 404]),
});

export const listWebhooks = operation('listWebhooks', {
  tags: ['notifications'],
  summary: "A partner organisation's webhook endpoints (never their secrets)",
  security: [{ bearer: [] }],
  params: Type.Object({ orgId: Uuid }, { additionalProperties: false }),
  response: responses({ 200: Type.Object({ items: Type.Array(Endpoint) }) }, [400, 401, 403, 404]),
});

export const disableWebhook = operation('disableWebhook', {
  tags: ['notifications'],
  summary: 'Disable a webhook endpoint; its undelivered events are cancelled',
  security: [{ bearer: [] }],
  params: Type.Object({ orgId: Uuid, id: Uuid }, { additionalProperties: false }),
  response: responses({ 200: Endpoint }, [400, 401, 403, 404]),
});

const Delivery = Type.Object({
  id: Uuid,
  topic: Type.String({ maxLength: 100 }),
  status: Type.Union(['pending', 'in_flight', 'retrying', 'delivered', 'failed', 'cancelled'].map((s) => Type.Literal(s))),
  attempts: Type.Integer({ minimum: 0 }),
  round: Type.Integer({ minimum: 0, description: 'how many times an admin sent it again' }),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String({ maxLength: 200, description: "Never the URL's path, query or credentials" }), Type.Null()]),
  createdAt: Timestamp,
  nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
  deliveredAt: Type.Union([Timestamp, Type.Null()]),
});

export const listWebhookDeliveries = operation('listWebhookDeliveries', {
  tags: ['notifications'],
  summary: "A webhook endpoint's delivery log, newest first (never the body): time, topic, status, attempts, last error",
  security: [{ bearer: [] }],
  params: Type.Object({ orgId: Uuid, id: Uuid }, { additionalProperties: false }),
  querystring: Type.Object(
    {
      before: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z_[0-9a-fA-F-]{36}$', description: 'the `next` of the previous page' })),
      limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$' })),
    },
    { additionalProperties: false },
  ),
  response: responses({ 200: Type.Object({ items: Type.Array(Delivery), next: Type.Union([Type.String(), Type.Null()]) }) }, [400, 401, 403, 404]),
});

export const pingWebhook = operation('pingWebhook', {
  tags: ['notifications'],
  summary: 'Send a `webhook.test` event to this endpoint, through the outbox and the normal delivery path (signed, logged, retried)',
  security: [{ bearer: [] }],
  params: Type.Object({ orgId: Uuid, id: Uuid }, { additionalProperties: false }),
  response: responses({ 202: Type.Object({ testId: Uuid, topic: Type.Literal('webhook.test'), queuedAt: Timestamp }) }, [400, 401, 403, 404, 409]),
});

export const redeliverWebhookDelivery = operation('redeliverWebhookDelivery', {
  tags: ['notifications'],
  summary: 'Send a failed delivery again (same delivery id, same body), with a fresh budget of attempts',
  security: [{ bearer: [] }],
  params: Type.Object({ orgId: Uuid, id: Uuid, deliveryId: Uuid }, { additionalProperties: false }),
  response: responses({ 200: Delivery }, [400, 401, 403, 404, 409]),
});
