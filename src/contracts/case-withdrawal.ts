import { Type } from 'typebox';
import { Timestamp, Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

const Withdrawn = Type.Object({
  case: Type.Object({ id: Uuid, reference: Type.String({ maxLength: 20 }), state: Type.String({ maxLength: 20 }), urgentClaimed: Type.Boolean(), createdAt: Timestamp, closedAt: Type.Union([Timestamp, Type.Null()]), closeReason: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]) }),
  measuresStopped: Type.Integer({ minimum: 0 }),
  referralsWithdrawn: Type.Integer({ minimum: 0 }),
  appealsClosed: Type.Integer({ minimum: 0 }),
});

export const withdrawCaseConsent = operation('withdrawCaseConsent', {
  tags: ['workflow'],
  summary: 'Withdraw consent: open measures and referrals stop and the case closes as consent_withdrawn',
  description: 'The defender only, in any open state; 409 invalid_transition on a closed case.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object(
    { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'why, if the defender wishes to say (kept on the timeline; no sensitive details)' })) },
    { additionalProperties: false, examples: [{ reason: 'Je ne souhaite plus être suivie.' }] },
  ),
  response: responses({ 200: Withdrawn }, [401, 403, 404, 409]),
});
