/**
 * The working calendar and the local-time arithmetic deadlines need: which civil date an instant
 * falls on in the institution's time zone, whether that date is a working day, and the instant of
 * 23:59:59 local on a date.
 *
 * No date library: Intl.DateTimeFormat gives the wall-clock time of an instant in any IANA zone,
 * which is all we need to find offsets (Africa/Bamako is UTC+0 with no daylight saving, but an
 * institution elsewhere may set a zone that has it, so nothing here assumes a fixed offset).
 *
 * Civil dates are handled as day numbers (days since 1970-01-01 of the proleptic Gregorian
 * calendar), so that "the next day" is +1 whatever the month or the year.
 */

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A working calendar, already validated (see loadCalendarPolicy in deadline-policy.ts). */
export interface WorkCalendar {
  readonly timeZone: string;
  /** ISO weekday numbers, 1 = Monday ... 7 = Sunday. */
  readonly workingWeekdays: ReadonlySet<number>;
  /** Holidays every year, as "MM-DD". */
  readonly fixedHolidays: ReadonlySet<string>;
  /** Holidays of one year, as "YYYY-MM-DD". */
  readonly holidays: ReadonlySet<string>;
}

export interface CalendarInput {
  timeZone: string;
  workingDays?: readonly Weekday[];
  fixedHolidays?: readonly string[];
  holidays?: readonly string[];
}

/** Builds a calendar from plain values (the policy loader and tests both use this). */
export function makeCalendar(input: CalendarInput): WorkCalendar {
  const workingDays = input.workingDays ?? ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'];
  return {
    timeZone: input.timeZone,
    workingWeekdays: new Set(workingDays.map((d) => WEEKDAYS.indexOf(d) + 1)),
    fixedHolidays: new Set(input.fixedHolidays ?? []),
    holidays: new Set(input.holidays ?? []),
  };
}

const DAY_MS = 86_400_000;

// One formatter per zone: building them is the slow part of Intl.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows the IANA zone (Intl throws a RangeError otherwise). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock time of an instant in a zone (to the second). */
export function wallTime(instantMs: number, timeZone: string): WallTime {
  const out: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of formatter(timeZone).formatToParts(new Date(instantMs))) {
    if (p.type === 'year' || p.type === 'month' || p.type === 'day' || p.type === 'hour' || p.type === 'minute' || p.type === 'second') {
      out[p.type] = Number(p.value);
    }
  }
  return out;
}

/** Offset of the zone from UTC at an instant, in ms (local = UTC + offset). */
function offsetMs(instantMs: number, timeZone: string): number {
  const whole = Math.floor(instantMs / 1000) * 1000; // Intl drops milliseconds
  const w = wallTime(whole, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole;
}

/**
 * The instant at which the wall clock of the zone shows the given local time. Two passes settle
 * the offset when the guess falls on the other side of a daylight-saving change; in a gap (a local
 * time that does not exist) the later offset wins, which moves the result forward, never back.
 */
export function localToInstant(year: number, month: number, day: number, hour: number, minute: number, second: number, timeZone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const first = asUtc - offsetMs(asUtc, timeZone);
  const second2 = asUtc - offsetMs(first, timeZone);
  return Math.max(first, second2);
}

/** The local civil date of an instant, as a day number. */
export function localDayNumber(instantMs: number, timeZone: string): number {
  const w = wallTime(instantMs, timeZone);
  return Math.floor(Date.UTC(w.year, w.month - 1, w.day) / DAY_MS);
}

/** "YYYY-MM-DD" of a day number. */
export function isoDate(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/** ISO weekday (1 = Monday ... 7 = Sunday) of a day number; 1970-01-01 was a Thursday. */
export function isoWeekday(dayNumber: number): number {
  return (((dayNumber + 3) % 7) + 7) % 7 + 1;
}

export function isHoliday(calendar: WorkCalendar, dayNumber: number): boolean {
  const iso = isoDate(dayNumber);
  return calendar.holidays.has(iso) || calendar.fixedHolidays.has(iso.slice(5));
}

export function isWorkingDay(calendar: WorkCalendar, dayNumber: number): boolean {
  return calendar.workingWeekdays.has(isoWeekday(dayNumber)) && !isHoliday(calendar, dayNumber);
}

/** 23:59:59 local on a civil date: the end of a working-day deadline (workflow.md, Counting). */
export function endOfLocalDay(calendar: WorkCalendar, dayNumber: number): Date {
  const d = new Date(dayNumber * DAY_MS);
  return new Date(localToInstant(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), 23, 59, 59, calendar.timeZone));
}

/** Working days strictly after `fromDay` up to and including `toDay` (0 when toDay <= fromDay). */
export function countWorkingDays(calendar: WorkCalendar, fromDay: number, toDay: number): number {
  let n = 0;
  for (let d = fromDay + 1; d <= toDay; d++) if (isWorkingDay(calendar, d)) n++;
  return n;
}
