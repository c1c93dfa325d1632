import { isWorkingDay, localDayNumber, wallTime } from '../deadlines/calendar.js';
import type { OnCallPolicy } from './on-call-policy.js';

const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3));

/**
 * Whether an instant falls in office hours: a working day of the calendar (not a holiday), between
 * the policy's hours, in the calendar's time zone.
 */
export function inOfficeHours(policy: Pick<OnCallPolicy, 'officeHours' | 'calendar'>, at: Date): boolean {
  const { calendar } = policy;
  const ms = at.getTime();
  if (!isWorkingDay(calendar, localDayNumber(ms, calendar.timeZone))) return false;
  const w = wallTime(ms, calendar.timeZone);
  const m = w.hour * 60 + w.minute;
  return m >= minutesOf(policy.officeHours.from) && m < minutesOf(policy.officeHours.to);
}
