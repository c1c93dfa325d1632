import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

const Hash = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256 chain hash' });

export const Seq = Type.Integer({ minimum: 0 });

const Signature = Type.String({ pattern: '^[A-Za-z0-9_-]{86}$', description: 'b64u Ed25519 signature of egide/v1/audit-checkpoint/<seq>/<hash> (docs/crypto-v1.md §11.2)' });
const SigningPublicKey = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: "the deployment's Ed25519 audit signing key, b64u: check it against the one you trust, never take it from here" });

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

/**
 * The export's query: the field filters (a selection, not a chain), or a seq range between two
 * stored checkpoints (a piece of the chain a client verifies from one signature to the other);
 * not both (the service refuses the mix with `validation_failed`).
 */
export const ExportQuery = Type.Object(
  {
    ...Filters,
    afterSeq: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'the seq of the stored checkpoint the range starts after (0: genesis); with toSeq, and no filter' })),
    toSeq: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'the seq of the stored checkpoint the range ends at, included; with afterSeq, and no filter' })),
  },
  { additionalProperties: false },
);

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
  description:
    'Without parameters: every event from genesis to the head, ending with this export\'s own read. With filters: the matching events (a selection, not a chain). ' +
    'With `afterSeq` and `toSeq`: the events after the stored checkpoint `afterSeq` (0: genesis) up to the stored checkpoint `toSeq`, exactly, to verify against the two ' +
    'signed checkpoints GET /v1/audit/checkpoints gives (docs/crypto-v1.md §11.4). A range that ends before it starts is `audit_range_reversed`; one whose ends are not stored checkpoints `audit_range_unaligned`.',
  security: [{ bearer: [] }],
  querystring: ExportQuery,
  produces: ['application/x-ndjson'],
  response: responses({ 200: Type.String({ description: 'NDJSON: one event (with its hash) per line' }) }, [401, 403, 429]),
});

export const getAuditHead = operation('getAuditHead', {
  tags: ['audit'],
  summary: 'The current chain head signed now: keep it to prove later that history was not rewritten',
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ seq: Seq, hash: Hash, signature: Signature, signingPublicKey: SigningPublicKey }) }, [401, 403]),
});

/** A stored signed checkpoint (docs/crypto-v1.md §11.2), with when it was signed. */
export const AuditCheckpoint = Type.Object({ seq: Seq, hash: Hash, signature: Signature, signedAt: Timestamp });

const PeriodQuery = Type.Object({ from: Type.Optional(Timestamp), to: Type.Optional(Timestamp) }, { additionalProperties: false });

export const getAuditCheckpoints = operation('getAuditCheckpoints', {
  tags: ['audit'],
  summary: 'The signed checkpoints enclosing a period of the audit log, to export and verify that range alone (supervisors)',
  description:
    'The seqs of the first and last events recorded in the period (`from` and `to` included; either may be left out), the stored checkpoint at or before the first ' +
    '(null: genesis) and the stored checkpoint at or after the last. When no stored checkpoint reaches the last, the head is signed and stored as one now. ' +
    'Export the range with GET /v1/audit/export?afterSeq=<start seq or 0>&toSeq=<end seq> and verify it with the key you trust (docs/crypto-v1.md §11.4). ' +
    '`to` before `from` is `audit_range_reversed`; a period without any event `audit_period_empty`.',
  security: [{ bearer: [] }],
  querystring: PeriodQuery,
  response: responses(
    {
      200: Type.Object({
        period: Type.Object({ firstSeq: Seq, lastSeq: Seq }, { description: 'the first and last events recorded in the period' }),
        start: Nullable(AuditCheckpoint),
        end: AuditCheckpoint,
        signingPublicKey: SigningPublicKey,
      }),
    },
    [401, 403, 404],
  ),
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
