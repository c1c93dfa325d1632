import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid, responses } from '../lib/schemas.js';
import { CommandState } from './shared.js';
import { Level } from './assessment.js';
import { operation } from './operation.js';

/** The commands of the approvals list: on a measure (approve, reject, confirm), on an appeal (decide). */
export const APPROVAL_COMMANDS = ['approve', 'reject', 'confirm', 'decide'] as const;
export type ApprovalCommand = (typeof APPROVAL_COMMANDS)[number];

const Code = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 });

/** The case an item belongs to, as every supervisor sees its metadata. */
const CaseFacts = {
  caseId: Uuid,
  reference: Type.String({ maxLength: 64 }),
  caseState: Type.String({ maxLength: 32 }),
  riskLevel: Nullable(Level),
  caseUrgent: Type.Boolean(),
};

const PendingMeasure = Type.Object(
  {
    ...CaseFacts,
    id: Uuid,
    code: Code,
    category: Code,
    implementer: Code,
    urgent: Type.Boolean(),
    status: Code,
    awaiting: Type.Union([Type.Literal('decision'), Type.Literal('confirmation')], { description: 'decision: consented, to approve or reject; confirmation: urgent, approved, to confirm by an ordinary decision' }),
    proposedAt: Timestamp,
    proposedBy: Uuid,
    consentAt: Nullable(Timestamp),
    decidedAt: Nullable(Timestamp),
    actions: Type.Array(CommandState(APPROVAL_COMMANDS), { description: 'what the caller may do on it now, as the command itself would decide (never on their own proposal)' }),
  },
  { additionalProperties: false },
);

const PendingAppeal = Type.Object(
  {
    ...CaseFacts,
    id: Uuid,
    subject: Code,
    subjectId: Nullable(Uuid),
    decisionAt: Timestamp,
    deciderId: Nullable(Uuid),
    filedAt: Timestamp,
    actions: Type.Array(CommandState(APPROVAL_COMMANDS), { description: 'decide: never the supervisor who took the decision appealed' }),
  },
  { additionalProperties: false },
);

export type PendingMeasureView = Static<typeof PendingMeasure>;
export type PendingAppealView = Static<typeof PendingAppeal>;

export const listApprovals = operation('listApprovals', {
  tags: ['measures', 'appeals'],
  summary: 'What awaits a supervisor’s decision across cases: measures to approve, reject or confirm, appeals to rule on (metadata only)',
  description:
    'Oldest first, at most 200 of each. Every pending item is listed, with `actions` saying whether the caller may take it: a supervisor never decides their own proposal nor an appeal of their own decision (409 separation_of_duties on the command). The sealed details, assessments and grounds are read on each case (GET /v1/cases/:caseId/assessments, /appeals).',
  security: [{ bearer: [] }],
  response: responses({ 200: Type.Object({ measures: Type.Array(PendingMeasure), appeals: Type.Array(PendingAppeal) }) }, [401, 403]),
});
