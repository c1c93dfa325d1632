/**
 * The deadline rules, escalation ladders and working calendar as data (policies/deadlines.yaml and
 * policies/calendar.yaml), validated at start like the access policy: TypeBox for the shape, then
 * the checks a schema cannot make (a time zone the runtime knows, dates that exist, every deadline
 * the code creates being defined). Any problem throws PolicyError naming the file and the path,
 * and the service refuses to start: a wrong deadline is worse than no service.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, loadPolicyFile } from '../access/policy.js';
import { WEEKDAYS, isValidTimeZone, makeCalendar, type WorkCalendar } from './calendar.js';

export { PolicyError };

/** Every deadline the workflow creates (workflow.md's table); the code looks them up by name. */
export const DEADLINE_NAMES = [
  'acknowledge',
  'triage',
  'info_reply',
  'assessment',
  'decision',
  'consent',
  'approval',
  'implementation',
  'urgent_confirmation',
  'review',
  'referral_response',
  'referral_report',
  'appeal',
  'checkin',
  'retention',
] as const;
export type DeadlineName = (typeof DEADLINE_NAMES)[number];

export const RISK_LEVELS = ['low', 'medium', 'high', 'extreme'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const ACTORS = ['officer', 'supervisor', 'defender', 'partner'] as const;
export type Actor = (typeof ACTORS)[number];

const Strict = { additionalProperties: false } as const;
const lits = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)));

// Durations: exactly one unit each, strictly positive ("0 days" is a typo, not a rule).
const Hours = Type.Object({ hours: Type.Number({ exclusiveMinimum: 0 }) }, Strict);
const Days = Type.Object({ days: Type.Number({ exclusiveMinimum: 0 }) }, Strict);
const Years = Type.Object({ years: Type.Integer({ minimum: 1 }) }, Strict);
const WorkingDays = Type.Object({ workingDays: Type.Integer({ minimum: 1 }) }, Strict);
/** A length of calendar time convertible to milliseconds (ladder caps, grace). */
const CalendarSpanSchema = Type.Union([Hours, Days]);
export type CalendarSpan = Static<typeof CalendarSpanSchema>;

const DurationRuleSchema = Type.Union([
  Hours,
  Days,
  Years,
  WorkingDays,
  Type.Object({ kind: Type.Literal('measure_end_date') }, Strict),
  Type.Object(
    {
      kind: Type.Literal('by_risk_level'),
      levels: Type.Partial(Type.Object(Object.fromEntries(RISK_LEVELS.map((l) => [l, CalendarSpanSchema])) as Record<RiskLevel, typeof CalendarSpanSchema>), Strict),
      grace: CalendarSpanSchema,
    },
    Strict,
  ),
]);
export type DurationRule = Static<typeof DurationRuleSchema>;

const Fraction = Type.Number({ exclusiveMinimum: 0, maximum: 1 });
const ReminderStep = Type.Object({ fraction: Fraction, maxLead: Type.Optional(CalendarSpanSchema) }, Strict);
const Level1Step = Type.Object({ to: Type.Literal('case_supervisor_or_all_supervisors') }, Strict);
const Level2Step = Type.Object(
  { fraction: Fraction, max: CalendarSpanSchema, urgentMax: CalendarSpanSchema, to: Type.Literal('all_supervisors'), markForHead: Type.Boolean() },
  Strict,
);
const LadderSchema = Type.Object({ reminder: Type.Union([Type.Null(), ReminderStep]), level1: Level1Step, level2: Type.Union([Type.Null(), Level2Step]) }, Strict);
export type LadderPolicy = Static<typeof LadderSchema>;
// A deadline overrides whole steps of the default ladder (a step is replaced, not merged: what an
// institution writes under a deadline is then all there is to read about that step).
const LadderOverride = Type.Partial(LadderSchema);

const EventCode = Type.String({ pattern: '^[a-z_]+\\.[a-z_]+$' });
const DeadlineRuleSchema = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    // one event, or several that each start it (an assessment starts on admission and on reassessment)
    starts: Type.Union([EventCode, Type.Array(EventCode, { minItems: 1 })]),
    ends: Type.Array(EventCode, { minItems: 1 }),
    actor: lits(ACTORS),
    ordinary: Type.Union([Type.Null(), DurationRuleSchema]),
    urgent: Type.Union([Type.Null(), DurationRuleSchema]),
    recurring: Type.Optional(Type.Boolean()),
    pause: Type.Optional(Type.Object({ on: EventCode, resume: EventCode }, Strict)),
    ladder: Type.Optional(LadderOverride),
  },
  Strict,
);

const DeadlinesFileSchema = Type.Object(
  { version: Type.Literal(1), ladder: LadderSchema, deadlines: Type.Record(Type.String({ pattern: '^[a-z_]+$' }), DeadlineRuleSchema) },
  Strict,
);

/** One deadline rule with its ladder resolved (defaults overridden by the rule's own steps). */
export interface DeadlineRule {
  name: DeadlineName;
  description: string;
  starts: readonly string[];
  ends: readonly string[];
  actor: Actor;
  ordinary: DurationRule | null;
  urgent: DurationRule | null;
  recurring: boolean;
  pause: { on: string; resume: string } | null;
  ladder: LadderPolicy;
}

export interface DeadlinePolicy {
  defaultLadder: LadderPolicy;
  rules: ReadonlyMap<DeadlineName, DeadlineRule>;
}

function schemaErrors(schema: TSchema, raw: unknown, source: string): void {
  const errors = Value.Errors(schema, raw);
  if (errors.length === 0) return;
  // Deepest paths first: they name the field at fault; the union summaries above them only repeat it.
  const lines = [...new Set(errors.map((e) => `  - ${e.instancePath || '/'}: ${e.message}`))];
  throw new PolicyError(`${source} is invalid:\n${lines.slice(0, 30).join('\n')}`);
}

export function parseDeadlinePolicy(raw: unknown, source = 'deadline policy'): DeadlinePolicy {
  schemaErrors(DeadlinesFileSchema, raw, source);
  const file = raw as Static<typeof DeadlinesFileSchema>;
  const known = new Set<string>(DEADLINE_NAMES);
  const rules = new Map<DeadlineName, DeadlineRule>();
  for (const [name, r] of Object.entries(file.deadlines)) {
    if (!known.has(name)) throw new PolicyError(`${source}: /deadlines/${name}: unknown deadline (known: ${DEADLINE_NAMES.join(', ')})`);
    if (r.ordinary === null && r.urgent === null) throw new PolicyError(`${source}: /deadlines/${name}: ordinary and urgent cannot both be null`);
    rules.set(name as DeadlineName, {
      name: name as DeadlineName,
      description: r.description,
      starts: Array.isArray(r.starts) ? r.starts : [r.starts],
      ends: r.ends,
      actor: r.actor,
      ordinary: r.ordinary,
      urgent: r.urgent,
      recurring: r.recurring === true,
      pause: r.pause ?? null,
      ladder: { ...file.ladder, ...r.ladder },
    });
  }
  const missing = DEADLINE_NAMES.filter((n) => !rules.has(n));
  if (missing.length > 0) throw new PolicyError(`${source}: /deadlines: missing ${missing.join(', ')}`);
  return { defaultLadder: file.ladder, rules };
}

const MonthDay = Type.String({ pattern: '^\\d{2}-\\d{2}$' });
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const CalendarFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    timeZone: Type.String({ minLength: 1 }),
    workingDays: Type.Array(lits(WEEKDAYS), { minItems: 1, uniqueItems: true }),
    fixedHolidays: Type.Array(Type.Object({ date: MonthDay, name: Type.String({ minLength: 1 }) }, Strict)),
    holidays: Type.Array(Type.Object({ date: IsoDate, name: Type.String({ minLength: 1 }) }, Strict)),
  },
  Strict,
);

/** A date that exists: the string survives a round trip through Date (rejects 2026-02-30). */
function isRealDate(iso: string): boolean {
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

export function parseCalendarPolicy(raw: unknown, source = 'calendar policy'): WorkCalendar {
  schemaErrors(CalendarFileSchema, raw, source);
  const file = raw as Static<typeof CalendarFileSchema>;
  if (!isValidTimeZone(file.timeZone)) throw new PolicyError(`${source}: /timeZone: unknown time zone ${JSON.stringify(file.timeZone)} (an IANA name such as Africa/Bamako)`);
  file.fixedHolidays.forEach((h, i) => {
    // 2024 is a leap year, so 02-29 is accepted as a fixed holiday (it then applies in leap years only).
    if (!isRealDate(`2024-${h.date}`)) throw new PolicyError(`${source}: /fixedHolidays/${i}/date: no such day ${JSON.stringify(h.date)}`);
  });
  file.holidays.forEach((h, i) => {
    if (!isRealDate(h.date)) throw new PolicyError(`${source}: /holidays/${i}/date: no such date ${JSON.stringify(h.date)}`);
  });
  return makeCalendar({
    timeZone: file.timeZone,
    workingDays: file.workingDays,
    fixedHolidays: file.fixedHolidays.map((h) => h.date),
    holidays: file.holidays.map((h) => h.date),
  });
}


export function loadDeadlinePolicy(policiesDir: string): DeadlinePolicy {
  return loadPolicyFile(policiesDir, 'deadlines.yaml', parseDeadlinePolicy);
}

export function loadCalendarPolicy(policiesDir: string): WorkCalendar {
  return loadPolicyFile(policiesDir, 'calendar.yaml', parseCalendarPolicy);
}
