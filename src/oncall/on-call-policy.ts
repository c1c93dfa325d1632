import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, formatSchemaErrors, loadPolicyFile } from '../access/policy.js';
import type { WorkCalendar } from '../deadlines/calendar.js';
import { OUTBOX_TOPICS } from '../outbox/topics.js';

const HourMinute = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const Name = Type.String({ minLength: 1, maxLength: 100 });

const OnCallPolicySchema = Type.Object(
  {
    version: Type.Literal(1),
    officeHours: Type.Object({ from: HourMinute, to: HourMinute }, { additionalProperties: false }),
    events: Type.Array(
      Type.Object(
        {
          topic: Name,
          rules: Type.Optional(Type.Array(Name, { minItems: 1 })),
          steps: Type.Optional(Type.Array(Type.Union([Type.Literal('reminder'), Type.Literal('level1'), Type.Literal('level2')]), { minItems: 1 })),
          urgentOnly: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    acknowledgeWithinSeconds: Type.Integer({ minimum: 1, maximum: 24 * 3600 }),
    retry: Type.Object({ attempts: Type.Integer({ minimum: 1, maximum: 20 }), backoffSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 3600 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export type OnCallEvent = Static<typeof OnCallPolicySchema>['events'][number];

/** policies/on-call.yaml with the working calendar (calendar.yaml) whose days its office hours fall on. */
export type OnCallPolicy = Static<typeof OnCallPolicySchema> & { calendar: WorkCalendar };

const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3));

export function parseOnCallPolicy(raw: unknown, source: string, context: { calendar: WorkCalendar; deadlineRules: ReadonlySet<string> }): OnCallPolicy {
  const errors = Value.Errors(OnCallPolicySchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${formatSchemaErrors(errors)}`);
  const p = raw as Static<typeof OnCallPolicySchema>;
  const problems: string[] = [];
  if (minutesOf(p.officeHours.from) >= minutesOf(p.officeHours.to)) problems.push('officeHours: `from` must come before `to`');
  for (const e of p.events) {
    if (!(e.topic in OUTBOX_TOPICS) || e.topic.startsWith('oncall.')) problems.push(`events: unknown topic ${e.topic}`);
    for (const r of e.rules ?? []) if (!context.deadlineRules.has(r)) problems.push(`events: ${e.topic}: unknown deadline rule ${r}`);
    if ((e.rules || e.urgentOnly || e.steps) && !e.topic.startsWith('deadline.')) problems.push(`events: ${e.topic}: rules, steps and urgentOnly apply to deadline events only`);
    if (e.steps && e.topic !== 'deadline.step') problems.push(`events: ${e.topic}: steps apply to deadline.step only`);
  }
  if (problems.length > 0) throw new PolicyError(`${source} is invalid:\n${problems.map((x) => `  - ${x}`).join('\n')}`);
  return { ...p, calendar: context.calendar };
}

export function loadOnCallPolicy(policiesDir: string, context: { calendar: WorkCalendar; deadlineRules: ReadonlySet<string> }): OnCallPolicy {
  return loadPolicyFile(policiesDir, 'on-call.yaml', (raw, source) => parseOnCallPolicy(raw, source, context));
}
