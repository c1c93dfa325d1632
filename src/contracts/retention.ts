import { Type } from 'typebox';
import { Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

export const Limit = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$', description: '1 to 100 (default 50)' });

const Cursor = Type.String({ pattern: '^[0-9T:.Z+-]{20,40}_[0-9a-fA-F-]{36}$', description: 'the `next` of the previous page' });

export const Due = Type.Object({
  caseId: Uuid,
  reference: Type.String(),
  closedAt: Type.Union([Timestamp, Type.Null()]),
  closeReason: Type.Union([Type.String(), Type.Null()]),
  deadlineId: Uuid,
  dueAt: Timestamp,
  heldAt: Type.Optional(Timestamp),
});

export const listRetentionDue = operation('listRetentionDue', {
  tags: ['retention'],
  summary: 'Closed cases whose retention period has ended, awaiting a supervisor’s purge (earliest first, keyset pages)',
  description: 'With held=true: the closed cases whose purge is on hold instead (POST /v1/cases/:caseId/retention-hold), each with heldAt; a held case is never in the list of what is due.',
  security: [{ bearer: [] }],
  querystring: Type.Object({ limit: Type.Optional(Limit), after: Type.Optional(Cursor), held: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }, { additionalProperties: false }),
  response: responses({ 200: Type.Object({ items: Type.Array(Due), next: Type.Union([Type.String(), Type.Null()]) }) }, [401, 403]),
});

export const purgeCase = operation('purgeCase', {
  tags: ['retention'],
  summary: 'Purge the sealed content of a closed case whose retention period has ended (metadata and audit log kept)',
  description: '409 invalid_transition when the case is not closed or was purged already; 409 retention_not_due before the end of its retention period.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }, { additionalProperties: false }),
  body: Type.Object(
    { reason: Type.String({ minLength: 3, maxLength: 2000, description: 'why: kept on the timeline and in the audit log' }) },
    { additionalProperties: false, examples: [{ reason: 'Fin de la durée de conservation de 10 ans; aucune procédure en cours' }] },
  ),
  response: responses({ 200: Type.Object({ caseId: Uuid, reference: Type.String(), purgedAt: Timestamp, retentionDeadlineId: Uuid }) }, [401, 403, 404, 409]),
});

const HoldReason = Type.String({ minLength: 3, maxLength: 2000, pattern: '\\S', description: 'why: kept on the timeline and in the audit log (no names, nothing from the sealed content)' });

const Hold = Type.Object({
  caseId: Uuid,
  reference: Type.String(),
  held: Type.Boolean({ description: 'true: the purge is on hold; false: released' }),
  at: Timestamp,
  deadlineId: Uuid,
  dueAt: Timestamp,
});

export const holdRetention = operation('holdRetention', {
  tags: ['retention'],
  summary: 'Hold the purge of a closed case, with a reason: its retention period stops, it is not listed as due nor purged until released',
  description: '409 invalid_transition when the case is not closed, was purged, has no running retention period, or is on hold already.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }, { additionalProperties: false }),
  body: Type.Object({ reason: HoldReason }, { additionalProperties: false, examples: [{ reason: 'Procédure judiciaire en cours : conserver le dossier' }] }),
  response: responses({ 200: Hold }, [401, 403, 404, 409]),
});

export const releaseRetentionHold = operation('releaseRetentionHold', {
  tags: ['retention'],
  summary: 'Release the hold on the purge of a closed case, with a reason: its retention period runs again for the time it had left',
  description: '409 invalid_transition when the purge of the case is not on hold.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }, { additionalProperties: false }),
  body: Type.Object({ reason: HoldReason }, { additionalProperties: false, examples: [{ reason: 'Procédure close : la conservation reprend' }] }),
  response: responses({ 200: Hold }, [401, 403, 404, 409]),
});
