/**
 * Deadline arithmetic (workflow.md, "Deadlines, reminders and escalations"): due times, the
 * escalation ladder's instants, pausing and resuming. Pure functions of their arguments: the
 * current time is always passed in (see src/lib/clock.ts), so that a worker, the reconciler and the
 * tests compute the same instants from the same row.
 */
import { countWorkingDays, endOfLocalDay, isWorkingDay, localDayNumber, localToInstant, wallTime, type WorkCalendar } from './calendar.js';
import type { CalendarSpan, DeadlineRule, DurationRule, LadderPolicy, RiskLevel } from './deadline-policy.js';

export interface Duration {
  hours?: number;
  days?: number;
  /** Calendar years, for retention: same local date and time N years later (29 Feb -> 28 Feb). */
  years?: number;
  workingDays?: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A calendar with no working day for ten years is a broken policy, not a long wait. */
const MAX_SCAN_DAYS = 3_660;

export function spanMs(span: CalendarSpan): number {
  return 'hours' in span ? span.hours * HOUR_MS : span.days * DAY_MS;
}

function checkAmount(name: string, v: number | undefined, integer: boolean): number {
  if (v === undefined) return 0;
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new RangeError(`duration ${name} must be a ${integer ? 'whole ' : ''}number >= 0, got ${v}`);
  }
  return v;
}

/**
 * The working day that ends a deadline of `n` working days started on `startDay`: the nth working
 * day strictly after the start date (workflow.md: "counting only the days after the start date", so
 * a case filed on a Saturday with 1 working day is due Monday night). For n = 0 (what is left of a
 * paused deadline on its last day) it is the first working day on or after the start date, so that
 * even then a holiday or a weekend never ends the deadline.
 */
function nthWorkingDay(calendar: WorkCalendar, startDay: number, n: number): number {
  let day = startDay;
  let left = n;
  if (left === 0) {
    for (let i = 0; !isWorkingDay(calendar, day); i++, day++) {
      if (i > MAX_SCAN_DAYS) throw new RangeError('the calendar has no working day');
    }
    return day;
  }
  let sinceLast = 0;
  while (left > 0) {
    day++;
    if (isWorkingDay(calendar, day)) {
      left--;
      sinceLast = 0;
    } else if (++sinceLast > MAX_SCAN_DAYS) {
      throw new RangeError('the calendar has no working day');
    }
  }
  return day;
}

/**
 * The due time of a deadline started at `start`.
 * - hours and days are calendar time: due = start + duration (holidays and weekends count);
 * - years move the local date (same wall-clock time), for the 10-year retention;
 * - workingDays end at 23:59:59 local on the Nth working day after the start date.
 * Working days are not combined with calendar units: no rule in workflow.md needs it and the
 * order of the two would be a guess, so that is refused.
 */
export function addDuration(start: Date, duration: Duration, calendar: WorkCalendar): Date {
  const hours = checkAmount('hours', duration.hours, false);
  const days = checkAmount('days', duration.days, false);
  const years = checkAmount('years', duration.years, true);
  const workingDays = checkAmount('workingDays', duration.workingDays, true);
  const t = start.getTime();
  if (!Number.isFinite(t)) throw new RangeError('start is not a valid date');
  if (duration.workingDays !== undefined) {
    if (duration.hours !== undefined || duration.days !== undefined || duration.years !== undefined) {
      throw new RangeError('a duration in working days cannot be combined with calendar units');
    }
    return endOfLocalDay(calendar, nthWorkingDay(calendar, localDayNumber(t, calendar.timeZone), workingDays));
  }
  let base = t;
  if (years > 0) {
    const w = wallTime(t, calendar.timeZone);
    const y = w.year + years;
    // Clamp 29 February to the 28th in a common year rather than rolling into March.
    const lastDay = new Date(Date.UTC(y, w.month, 0)).getUTCDate();
    base = localToInstant(y, w.month, Math.min(w.day, lastDay), w.hour, w.minute, w.second, calendar.timeZone) + (t % 1000);
  }
  return new Date(base + days * DAY_MS + hours * HOUR_MS);
}

/** What a case needs to pick the duration of a rule (urgency, risk level, a measure's end date). */
export interface DueContext {
  urgent: boolean;
  riskLevel?: RiskLevel;
  measureEnd?: Date;
}

/**
 * The due time of a policy rule started at `start`, or null when the rule creates no deadline in
 * this case: "-" in the table (no urgent info_reply, no ordinary urgent_confirmation), a check-in
 * for a risk level that has none, a review of a measure without an end date.
 */
export function dueFor(rule: DeadlineRule, start: Date, ctx: DueContext, calendar: WorkCalendar): Date | null {
  const d: DurationRule | null = ctx.urgent ? rule.urgent : rule.ordinary;
  if (d === null) return null;
  if ('kind' in d) {
    if (d.kind === 'measure_end_date') return ctx.measureEnd ?? null;
    const level = ctx.riskLevel === undefined ? undefined : d.levels[ctx.riskLevel];
    if (level === undefined) return null;
    return new Date(start.getTime() + spanMs(level) + spanMs(d.grace));
  }
  return addDuration(start, d, calendar);
}

export interface LadderInstants {
  /** To whoever must act; null when the ladder has no reminder (check-in starts at level 1). */
  reminder: Date | null;
  /** At the due time: the case's supervisor, or every supervisor when none is set. */
  level1: Date;
  /** Still open after a further half window (capped): every supervisor, for the head. */
  level2: Date | null;
}

/**
 * The instants of the escalation ladder for a deadline from `start` to `due`.
 * reminder = due - min(fraction x window, maxLead); level1 = due;
 * level2 = due + min(fraction x window, max or urgentMax).
 * Half-window amounts are rounded up to the millisecond so that a non-empty window always gives a
 * reminder strictly before the due time and a level 2 strictly after it.
 */
export function ladder(start: Date, due: Date, opts: { urgent: boolean }, policy: LadderPolicy): LadderInstants {
  const window = Math.max(0, due.getTime() - start.getTime());
  let reminder: Date | null = null;
  if (policy.reminder !== null) {
    let lead = Math.ceil(window * policy.reminder.fraction);
    if (policy.reminder.maxLead !== undefined) lead = Math.min(lead, spanMs(policy.reminder.maxLead));
    reminder = new Date(due.getTime() - lead);
  }
  let level2: Date | null = null;
  if (policy.level2 !== null) {
    const cap = spanMs(opts.urgent ? policy.level2.urgentMax : policy.level2.max);
    level2 = new Date(due.getTime() + Math.min(Math.ceil(window * policy.level2.fraction), cap));
  }
  return { reminder, level1: new Date(due.getTime()), level2 };
}

/** A running deadline, as stored on the case. */
export interface RunningDeadline {
  start: Date;
  due: Date;
  duration: Duration;
}

/**
 * A paused deadline ("info_requested pauses the triage clock: the remaining time is kept and
 * restarts on reply").
 *
 * How the remaining time is kept:
 * - calendar deadlines (hours, days, years) keep the remaining milliseconds, `remainingMs`;
 * - working-day deadlines keep the working days left, counted like a start: the working days after
 *   the pause date up to the due date. On resume the deadline ends at 23:59:59 local on the
 *   `remainingWorkingDays`th working day after the resume date. Keeping milliseconds instead would
 *   let a resumed deadline end at any hour of any day, a Sunday or a holiday included, which the
 *   rule ("ends at the end of a working day") forbids; and the defender's reply should give the
 *   officer back the same number of working days, whatever weekends or holidays the wait covered.
 *   The day of the pause is consumed, as the day of a start is.
 * A deadline paused when already overdue keeps its (negative) remaining milliseconds in both kinds,
 * so it resumes exactly as overdue as it was, and its escalations fire at once.
 */
export interface PausedDeadline {
  start: Date;
  duration: Duration;
  pausedAt: Date;
  /** The due time when paused, kept for the record and to count remaining working days. */
  dueWhenPaused: Date;
  remainingMs: number;
}

/** Pauses a deadline at `at`, keeping what is left of it. */
export function pause(deadline: RunningDeadline, at: Date): PausedDeadline {
  return {
    start: deadline.start,
    duration: deadline.duration,
    pausedAt: at,
    dueWhenPaused: deadline.due,
    remainingMs: deadline.due.getTime() - at.getTime(),
  };
}

/**
 * Working days left in a paused working-day deadline, or null when it is a calendar deadline or was
 * already overdue (both resume by milliseconds). Counted with the calendar at hand at resume time:
 * the working days between the pause date and the former due date.
 */
export function remainingWorkingDays(paused: PausedDeadline, calendar: WorkCalendar): number | null {
  if (paused.duration.workingDays === undefined || paused.remainingMs < 0) return null;
  const tz = calendar.timeZone;
  return countWorkingDays(calendar, localDayNumber(paused.pausedAt.getTime(), tz), localDayNumber(paused.dueWhenPaused.getTime(), tz));
}

/** Resumes a paused deadline at `at` and gives its new due time. */
export function resume(paused: PausedDeadline, at: Date, calendar: WorkCalendar): RunningDeadline {
  const left = remainingWorkingDays(paused, calendar);
  const due =
    left === null
      ? new Date(at.getTime() + paused.remainingMs)
      : endOfLocalDay(calendar, nthWorkingDay(calendar, localDayNumber(at.getTime(), calendar.timeZone), left));
  return { start: paused.start, due, duration: paused.duration };
}
