import { Type, type Static } from 'typebox';
import { Uuid, responses } from '../lib/schemas.js';
import { operation } from './operation.js';

/** The case commands the staff console shows as buttons, each named after what it does. */
export const CASE_COMMANDS = [
  'set_urgency',
  'set_verification',
  'record_assessment',
  'propose_measure',
  'propose_referral',
  'refer_without_consent',
  'send_message',
  'read_sealed',
  'grant_envelope',
  'report_incident',
  'check_in',
  'raise_alert',
  'withdraw_consent',
  'rekey',
  'break_glass',
  'reissue_receipt',
  'add_file',
  'read_files',
] as const;
export type CaseCommand = (typeof CASE_COMMANDS)[number];

const Code = Type.String({ pattern: '^[a-z_]+$', maxLength: 64 });

const AllowedTransition = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z_]+$', maxLength: 64, description: 'the transition of policies/workflow.yaml (POST /v1/cases/:caseId/<name with dashes>)' }),
    to: Type.String({ maxLength: 32 }),
    requires: Type.Array(Type.Union([Type.Literal('reason'), Type.Literal('closeReason'), Type.Literal('declineReason'), Type.Literal('assigneeId'), Type.Literal('envelope')]), {
      description: 'what the request must carry (envelope: keyId and envelope, the case key sealed to the new assignee)',
    }),
    closeReasons: Type.Optional(Type.Array(Code, { description: 'the close reasons the caller may choose from, when closeReason is required' })),
  },
  { additionalProperties: false },
);

const CommandState = Type.Object(
  {
    command: Type.Unsafe<CaseCommand>(Type.Union(CASE_COMMANDS.map((c) => Type.Literal(c)))),
    action: Type.String({ maxLength: 64, description: 'the permission of policies/access.yaml the command needs' }),
    allowed: Type.Boolean(),
    refusal: Type.Union([Code, Type.Null()], { description: 'when not allowed: the problem code the command would be refused with now' }),
  },
  { additionalProperties: false },
);

const CaseActions = Type.Object(
  {
    caseId: Uuid,
    state: Type.String({ maxLength: 32 }),
    transitions: Type.Array(AllowedTransition, { description: 'the transitions the caller may perform on the case now (authorised, from its state, guard passed)' }),
    commands: Type.Array(CommandState),
  },
  { additionalProperties: false },
);

export type CaseActionsView = Static<typeof CaseActions>;

export const getCaseActions = operation('getCaseActions', {
  tags: ['cases'],
  summary: 'What the caller may do on a case now: the transitions open to them and the state of every other case command',
  description:
    'Decided by the same policy (policies/access.yaml, policies/workflow.yaml) and the same checks as the commands themselves, at the time of the request; audited like a read of the case.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  response: responses({ 200: CaseActions }, [401, 403, 404]),
});
