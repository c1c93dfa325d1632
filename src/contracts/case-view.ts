import { Type, type Static } from 'typebox';
import { KeyId, Nullable, Timestamp, Uuid } from '../lib/schemas.js';
import { VERIFICATION_VALUES, type Verification } from './case-verification.js';

/** What a defender sees of their own case (`defenderView`): where it stands, no staff, no assessment. */
const DefenderCaseView = Type.Object(
  {
    id: Uuid,
    reference: Type.String({ maxLength: 20 }),
    state: Type.String({ maxLength: 20 }),
    urgentClaimed: Type.Boolean(),
    createdAt: Timestamp,
    closedAt: Nullable(Timestamp),
  },
  { description: "the defender's view of their case" },
);

/** Case metadata for staff (`staffView`): codes, states and dates, never anything sealed. */
const StaffCaseView = Type.Object(
  {
    ...DefenderCaseView.properties,
    urgent: Type.Boolean(),
    consent: Type.String({ maxLength: 20 }),
    source: Type.String({ maxLength: 40 }),
    filedFor: Type.String({ maxLength: 40 }),
    region: Type.String({ maxLength: 40 }),
    defenderCategory: Type.String({ maxLength: 40 }),
    gender: Type.String({ maxLength: 40 }),
    disability: Type.String({ maxLength: 40 }),
    threatTypes: Type.Array(Type.String({ maxLength: 40 })),
    preferredLanguage: Type.String({ maxLength: 40 }),
    contactChannel: Type.String({ maxLength: 40 }),
    defenderCard: Nullable(Type.Boolean()),
    riskLevel: Nullable(Type.String({ maxLength: 20 })),
    assigneeId: Nullable(Uuid),
    supervisorId: Nullable(Uuid),
    mechanismKeyId: KeyId,
    closeReason: Nullable(Type.String({ maxLength: 40 })),
    declineReason: Nullable(Type.String({ maxLength: 40, description: 'a code of policies/workflow.yaml declineReasons; not_stated for cases declined before the codes' })),
    verification: Type.Unsafe<Verification>(
      Type.Union(VERIFICATION_VALUES.map((s) => Type.Literal(s)), {
        description: 'whether staff verified the alleged violation (POST /v1/cases/:caseId/verification): alleged, verified, not_verified; not_stated for cases filed before the status',
      }),
    ),
  },
  { description: 'case metadata for staff: codes, states, dates' },
);

export type DefenderCase = Static<typeof DefenderCaseView>;
export type StaffCase = Static<typeof StaffCaseView>;

/** A route answered to staff or to the defender: the staff view first (the serializer takes the first that fits). */
export const CaseView = Type.Union([StaffCaseView, DefenderCaseView]);
