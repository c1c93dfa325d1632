/**
 * Property tests (fast-check): the counting rules hold for any start instant, any length, in a
 * zone with and one without daylight saving, with the shipped Mali calendar, not only for the
 * vectors.
 */
import t, { type Test } from 'tap';
import fc, { type IProperty } from 'fast-check';
import { isWorkingDay, localDayNumber, makeCalendar } from '../../src/deadlines/calendar.js';
import { addDuration, ladder, pause, resume } from '../../src/deadlines/due-time.js';
import { loadCalendarPolicy, loadDeadlinePolicy } from '../../src/deadlines/deadline-policy.js';

const dir = new URL('../../policies/', import.meta.url).pathname;
const mali = loadCalendarPolicy(dir);
const paris = makeCalendar({ timeZone: 'Europe/Paris', fixedHolidays: ['01-01', '05-01', '07-14', '12-25'], holidays: ['2026-04-06', '2027-03-29'] });
const ladderPolicy = loadDeadlinePolicy(dir).defaultLadder;

function check<Ts>(t: Test, name: string, prop: IProperty<Ts>, numRuns = 300): void {
  const r = fc.check(prop, { numRuns });
  t.notOk(r.failed, fc.defaultReportMessage(r) ?? name);
}

// 2025-2028 covers the dated holidays of the shipped calendar and both DST changes in Paris.
const instant = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 11, 31) }).map((ms) => new Date(ms));
const calendar = fc.constantFrom(mali, paris);
const duration = fc.oneof(
  fc.record({ hours: fc.double({ min: 0, max: 2000, noNaN: true }) }),
  fc.record({ days: fc.integer({ min: 0, max: 400 }) }),
  fc.record({ workingDays: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ years: fc.integer({ min: 0, max: 12 }) }),
);

t.test('a due time never falls before its start', async (t) => {
  check(t, 'due >= start', fc.property(instant, duration, calendar, (s, d, c) => addDuration(s, d, c).getTime() >= s.getTime()));
});

t.test('working days are monotonic in N and in the start', async (t) => {
  check(
    t,
    'N -> due is non-decreasing, strictly for N >= 1',
    fc.property(instant, fc.integer({ min: 0, max: 40 }), calendar, (s, n, c) => {
      const a = addDuration(s, { workingDays: n }, c).getTime();
      const b = addDuration(s, { workingDays: n + 1 }, c).getTime();
      return n === 0 ? b >= a : b > a;
    }),
  );
  check(
    t,
    'a later start never gives an earlier due time',
    fc.property(instant, fc.integer({ min: 0, max: 20 * 86_400_000 }), fc.integer({ min: 0, max: 30 }), calendar, (s, delta, n, c) => {
      const later = new Date(s.getTime() + delta);
      return addDuration(later, { workingDays: n }, c).getTime() >= addDuration(s, { workingDays: n }, c).getTime();
    }),
  );
});

t.test('a holiday or a weekend day never ends a working-day deadline', async (t) => {
  check(
    t,
    'the due date is a working day, at 23:59:59 local',
    fc.property(instant, fc.integer({ min: 0, max: 60 }), calendar, (s, n, c) => {
      const due = addDuration(s, { workingDays: n }, c);
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: c.timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(due);
      return isWorkingDay(c, localDayNumber(due.getTime(), c.timeZone)) && local === '23:59:59';
    }),
  );
  // The same with holidays on every possible weekday: random dated holidays near the start.
  check(
    t,
    'with random holidays',
    fc.property(instant, fc.integer({ min: 1, max: 15 }), fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 12 }), (s, n, offsets) => {
      const holidays = offsets.map((o) => new Date(s.getTime() + o * 86_400_000).toISOString().slice(0, 10));
      const c = makeCalendar({ timeZone: 'Africa/Bamako', holidays });
      const due = addDuration(s, { workingDays: n }, c);
      const iso = due.toISOString().slice(0, 10);
      return !holidays.includes(iso) && isWorkingDay(c, localDayNumber(due.getTime(), c.timeZone));
    }),
  );
});

t.test('pause then immediate resume gives the same due time', async (t) => {
  check(
    t,
    'identity',
    fc.property(instant, duration, fc.integer({ min: -5 * 86_400_000, max: 100 * 86_400_000 }), calendar, (s, d, after, c) => {
      const due = addDuration(s, d, c);
      const at = new Date(s.getTime() + after);
      return resume(pause({ start: s, due, duration: d }, at), at, c).due.getTime() === due.getTime();
    }),
  );
  check(
    t,
    'a later resume never gives an earlier due time',
    fc.property(instant, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 20 * 86_400_000 }), fc.integer({ min: 0, max: 60 * 86_400_000 }), calendar, (s, n, pauseAfter, wait, c) => {
      const d = { workingDays: n };
      const due = addDuration(s, d, c);
      const at = new Date(s.getTime() + pauseAfter);
      const resumed = resume(pause({ start: s, due, duration: d }, at), new Date(at.getTime() + wait), c).due;
      return resumed.getTime() >= due.getTime();
    }),
  );
});

t.test('the ladder is ordered and the reminder is at most 24 h before the due time', async (t) => {
  check(
    t,
    'start <= reminder < level1 < level2, due - reminder <= 24 h, level2 - due <= cap',
    fc.property(instant, fc.integer({ min: 1, max: 400 * 86_400_000 }), fc.boolean(), (s, window, urgent) => {
      const due = new Date(s.getTime() + window);
      const l = ladder(s, due, { urgent }, ladderPolicy);
      if (l.reminder === null || l.level2 === null) return false;
      const cap = (urgent ? 1 : 24) * 3_600_000;
      return (
        l.reminder.getTime() >= s.getTime() &&
        l.reminder.getTime() < l.level1.getTime() &&
        l.level1.getTime() === due.getTime() &&
        l.level1.getTime() < l.level2.getTime() &&
        due.getTime() - l.reminder.getTime() <= 24 * 3_600_000 &&
        l.level2.getTime() - due.getTime() <= cap
      );
    }),
  );
});
