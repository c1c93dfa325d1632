import { Type, type Static } from 'typebox';
import { KeyId, Timestamp, Username, Uuid, responses } from '../lib/schemas.js';
import { CASE_STATES } from './shared.js';
import { operation } from './operation.js';

const Role = Type.Union([Type.Literal('officer'), Type.Literal('supervisor')]);
const Status = Type.Union([Type.Literal('active'), Type.Literal('disabled')]);
const State = Type.Unsafe<(typeof CASE_STATES)[number]>(Type.Union(CASE_STATES.map((s) => Type.Literal(s))));

const OfficerLoad = Type.Object(
  {
    userId: Uuid,
    username: Username,
    role: Role,
    status: Status,
    open: Type.Integer({ minimum: 0, description: 'open cases assigned to them (every state but closed)' }),
    urgent: Type.Integer({ minimum: 0, description: 'of those, urgent' }),
    overdue: Type.Integer({ minimum: 0, description: 'of those, with an open deadline past due' }),
    byState: Type.Record(Type.String({ pattern: '^[a-z_]{1,32}$' }), Type.Integer({ minimum: 0 }), { description: 'open cases per state' }),
  },
  { additionalProperties: false },
);

export type OfficerLoadView = Static<typeof OfficerLoad>;

export const getStaffLoad = operation('getStaffLoad', {
  tags: ['staff'],
  summary: 'Cases per officer: open cases by state and urgency and how many are overdue, for every active officer and every staff member still holding open cases (audited)',
  description: 'Metadata only (counts); a disabled account still assigned open cases is listed, so that its cases are handed over.',
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ items: Type.Array(OfficerLoad), unassigned: Type.Integer({ minimum: 0, description: 'open cases assigned to nobody (the intake pool)' }) }, { additionalProperties: false }) }, [401, 403]),
});

const HeldCase = Type.Object(
  {
    caseId: Uuid,
    reference: Type.String({ maxLength: 32 }),
    state: State,
    urgent: Type.Boolean(),
    assigned: Type.Boolean({ description: 'assigned to them (open cases only): to be handed over' }),
    keyIds: Type.Array(KeyId, { maxItems: 20, description: 'keyIds of the envelopes of theirs on the case: each is to be revoked by a re-key' }),
  },
  { additionalProperties: false },
);

export const getStaffHoldings = operation('getStaffHoldings', {
  tags: ['staff'],
  summary: "What a staff member holds, for handing it over when they leave: the open cases assigned to them, the cases where an envelope of theirs remains, their keyring entries and their search-key entry (audited)",
  description:
    'Recomputed from the database on every call, so a hand-over that stopped half-way continues from what is still held. Nothing sealed: case references, states and keyIds.',
  security: [{ bearer: [] }],
  params: Type.Object({ userId: Uuid }, { additionalProperties: false }),
  response: responses(
    {
      200: Type.Object(
        {
          userId: Uuid,
          username: Username,
          role: Role,
          status: Status,
          disabledAt: Type.Union([Timestamp, Type.Null()]),
          cases: Type.Array(HeldCase, { description: 'every case assigned to them (open) or holding an envelope of theirs, open or closed' }),
          keyring: Type.Array(Type.Object({ orgId: Uuid, orgKind: Type.String({ maxLength: 32 }), orgKeyId: Uuid, current: Type.Boolean() }, { additionalProperties: false }), {
            description: 'their organisation keyring entries (the mechanism key): removed by an admin, then the key rotated',
          }),
          searchKey: Type.Boolean({ description: 'they hold an entry of the search-key staff keyring' }),
        },
        { additionalProperties: false },
      ),
    },
    [401, 403, 404],
  ),
});
