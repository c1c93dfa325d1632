import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, loadPolicyFile } from '../access/policy.js';

import { APPEAL_SUBJECTS, UPHELD_EFFECTS, type AppealSubject, type UpheldEffect } from '../contracts/appeal.js';

export { APPEAL_SUBJECTS, UPHELD_EFFECTS, type AppealSubject, type UpheldEffect };

/** The effects that make sense for each subject: a case effect needs a closed case, a measure effect a measure. */
const FITS: Record<AppealSubject, readonly UpheldEffect[]> = {
  decline: ['reopen_to_triage', 'record_only'],
  no_measures: ['reopen_to_decision', 'reopen_to_triage', 'record_only'],
  measure_rejected: ['measure_to_consented', 'record_only'],
  measure_lifted: ['measure_to_active', 'record_only'],
};

const lits = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const SubjectRule = Type.Object({ description: Type.String({ minLength: 1, maxLength: 500 }), upheld: lits(UPHELD_EFFECTS) }, { additionalProperties: false });
const AppealsFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    fileWithinDays: Type.Integer({ minimum: 1, maximum: 3650 }),
    subjects: Type.Partial(Type.Object(Object.fromEntries(APPEAL_SUBJECTS.map((s) => [s, SubjectRule])) as Record<AppealSubject, typeof SubjectRule>), { additionalProperties: false }),
  },
  { additionalProperties: false },
);
type AppealsFile = Static<typeof AppealsFileSchema>;

export interface AppealPolicy {
  fileWithinDays: number;
  /** The appealable subjects and what an upheld appeal on each does. */
  subjects: ReadonlyMap<AppealSubject, { description: string; upheld: UpheldEffect }>;
}

/** policies/appeals.yaml, validated: the service refuses to start on any problem. */
export function parseAppealPolicy(raw: unknown, source = 'appeal policy'): AppealPolicy {
  const errors = Value.Errors(AppealsFileSchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${[...new Set(errors.map((e) => `  - ${e.instancePath || '/'}: ${e.message}`))].slice(0, 20).join('\n')}`);
  const file = raw as AppealsFile;
  const subjects = new Map<AppealSubject, { description: string; upheld: UpheldEffect }>();
  for (const subject of APPEAL_SUBJECTS) {
    const rule = file.subjects[subject];
    if (!rule) continue;
    if (!FITS[subject].includes(rule.upheld)) {
      throw new PolicyError(`${source}: /subjects/${subject}/upheld: ${rule.upheld} does not fit an appeal of ${subject} (one of ${FITS[subject].join(', ')})`);
    }
    subjects.set(subject, { description: rule.description, upheld: rule.upheld });
  }
  if (subjects.size === 0) throw new PolicyError(`${source}: /subjects: at least one decision must be appealable (Mexico's law art. 57)`);
  return { fileWithinDays: file.fileWithinDays, subjects };
}

export function loadAppealPolicy(policiesDir: string): AppealPolicy {
  return loadPolicyFile(policiesDir, 'appeals.yaml', parseAppealPolicy);
}
