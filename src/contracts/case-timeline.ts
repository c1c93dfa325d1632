import { Type, type Static } from 'typebox';
import { Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

const EntryId = Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'the entry id (a cursor: pass it as afterId for the next page)' });

export const Entry = Type.Object({
  id: EntryId,
  at: Timestamp,
  actor: Type.String({ maxLength: 80, description: 'u:<userId>, d:<caseId> (the defender) or system' }),
  action: Type.String({ maxLength: 80 }),
  fromState: Type.Union([Type.String({ maxLength: 20 }), Type.Null()]),
  toState: Type.Union([Type.String({ maxLength: 20 }), Type.Null()]),
  reason: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]),
});

/** One entry of a case's history. */
export type TimelineEntry = Static<typeof Entry>;

export const getCaseTimeline = operation('getCaseTimeline', {
  tags: ['cases'],
  summary: 'Every transition of a case with actor, time, action, states and reason, oldest first',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  querystring: Type.Object({ afterId: Type.Optional(EntryId), limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$', description: '1-200, default 50' })) }, { additionalProperties: false }),
  response: responses({ 200: Type.Object({ items: Type.Array(Entry), nextAfterId: Type.Union([EntryId, Type.Null()]) }) }, [401, 403, 404]),
});
