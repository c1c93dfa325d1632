import { Type } from 'typebox';
import { Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

const Hash = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256 chain hash' });

export const Seq = Type.Integer({ minimum: 0 });

export const Outcome = Type.Union([Type.Literal('allowed'), Type.Literal('denied')]);

/** Exactly the chained fields plus the hash (docs/crypto-v1.md): what the SDK's verifier takes. */
export const AuditEvent = Type.Object({
  seq: Seq,
  at: Type.String({ maxLength: 40 }),
  actor: Type.String({ maxLength: 200 }),
  role: Type.String({ maxLength: 40 }),
  action: Type.String({ maxLength: 100 }),
  resource: Type.String({ maxLength: 200 }),
  caseId: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
  outcome: Outcome,
  reason: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  requestId: Type.String({ maxLength: 200 }),
  hash: Hash,
});

// The app's Ajv does not coerce types, so numbers in the query string are matched as text.
const SeqText = Type.String({ pattern: '^[0-9]{1,15}$', description: 'an event seq' });

const LimitText = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|[1-4][0-9]{2}|500)$', description: '1 to 500 (default 100)' });

const Filters = {
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'e.g. u:<userId>, d:<caseId>, system' })),
  caseId: Type.Optional(Uuid),
  action: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.]{0,99}$' })),
  outcome: Type.Optional(Outcome),
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
};

export const FiltersQuery = Type.Object(Filters, { additionalProperties: false });

const EventsQuery = Type.Object(
  { ...Filters, after: Type.Optional(SeqText), limit: Type.Optional(LimitText), order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc' })) },
  { additionalProperties: false },
);

export const listAuditEvents = operation('listAuditEvents', {
  tags: ['audit'],
  summary: 'Query the audit log (supervisors); keyset pagination on seq',
  security: [{ bearer: [] }],
  querystring: EventsQuery,
  response: responses({ 200: Type.Object({ items: Type.Array(AuditEvent), next: Type.Union([Seq, Type.Null()]) }) }, [401, 403]),
});

export const exportAuditLog = operation('exportAuditLog', {
  tags: ['audit'],
  summary: 'Export the audit log as NDJSON, one chained event per line in seq order (supervisors)',
  security: [{ bearer: [] }],
  querystring: FiltersQuery,
  produces: ['application/x-ndjson'],
  response: responses({ 200: Type.String({ description: 'NDJSON: one event (with its hash) per line' }) }, [401, 403, 429]),
});

export const getAuditHead = operation('getAuditHead', {
  tags: ['audit'],
  summary: 'The current chain head signed now: keep it to prove later that history was not rewritten',
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ seq: Seq, hash: Hash, signature: Type.String({ pattern: '^[A-Za-z0-9_-]{86}$' }), signingPublicKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) }) }, [401, 403]),
});

export const verifyAuditChain = operation('verifyAuditChain', {
  tags: ['audit'],
  summary: 'Recompute the whole chain from genesis and compare it with the stored hashes and head',
  security: [{ bearer: [] }],
  response: responses(
    {
      200: Type.Object({
        ok: Type.Boolean(),
        count: Type.Integer({ minimum: 0 }),
        head: Type.Optional(Type.Object({ seq: Seq, hash: Hash })),
        firstBadSeq: Type.Optional(Seq),
        reason: Type.Optional(Type.String({ maxLength: 500 })),
        headMatches: Type.Boolean(),
        checkpoints: Type.Integer({ minimum: 0, description: 'stored signed checkpoints found consistent with the chain' }),
      }),
    },
    [401, 403, 429],
  ),
});
