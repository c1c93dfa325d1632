/**
 * The deadline arithmetic against the shared test vectors (test/fixtures/deadlines-v1.json) and the
 * examples workflow.md gives for the ladder and pausing.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { makeCalendar } from '../../src/deadlines/calendar.js';
import { addDuration, dueFor, ladder, pause, remainingWorkingDays, resume, type Duration } from '../../src/deadlines/due-time.js';
import { loadCalendarPolicy, loadDeadlinePolicy, type DeadlineName } from '../../src/deadlines/deadline-policy.js';

interface Vectors {
  timeZone: string;
  holidays: string[];
  cases: Array<{ start: string; duration: Duration; due: string; note: string }>;
}
const vectors = JSON.parse(readFileSync(new URL('../fixtures/deadlines-v1.json', import.meta.url), 'utf8')) as Vectors;
// The vectors list their own holidays (dated): only those, so that the shipped calendar's movable
// holidays (e.g. Eid al-Fitr on 2026-03-20) do not change the expected results.
const cal = makeCalendar({ timeZone: vectors.timeZone, holidays: vectors.holidays });
const policy = loadDeadlinePolicy(new URL('../../policies/', import.meta.url).pathname);
const H = 3_600_000;
const rule = (n: DeadlineName) => {
  const r = policy.rules.get(n);
  if (r === undefined) throw new Error(`no rule ${n}`);
  return r;
};

t.test('deadlines-v1.json', async (t) => {
  t.ok(vectors.cases.length >= 9, 'the vectors are there');
  for (const c of vectors.cases) {
    t.equal(addDuration(new Date(c.start), c.duration, cal).toISOString(), c.due, `${c.start} + ${JSON.stringify(c.duration)}: ${c.note}`);
  }
});

t.test('time zones with an offset and daylight saving', async (t) => {
  // 23:59:59 local is not 23:59:59Z away from Bamako: Paris in summer is UTC+2, in winter UTC+1.
  const paris = makeCalendar({ timeZone: 'Europe/Paris' });
  t.equal(addDuration(new Date('2026-07-01T10:00:00Z'), { workingDays: 1 }, paris).toISOString(), '2026-07-02T21:59:59.000Z');
  t.equal(addDuration(new Date('2026-01-07T10:00:00Z'), { workingDays: 1 }, paris).toISOString(), '2026-01-08T22:59:59.000Z');
  // The start date is the local one: 23:30Z on Friday is already Saturday in Paris, so 1 working day is Monday.
  t.equal(addDuration(new Date('2026-07-03T23:30:00Z'), { workingDays: 1 }, paris).toISOString(), '2026-07-06T21:59:59.000Z');
});

t.test('units and refusals', async (t) => {
  const s = new Date('2026-03-01T12:00:00Z');
  t.equal(addDuration(s, { years: 10 }, cal).toISOString(), '2036-03-01T12:00:00.000Z', 'years keep the date');
  t.equal(addDuration(new Date('2028-02-29T08:00:00Z'), { years: 1 }, cal).toISOString(), '2029-02-28T08:00:00.000Z', '29 Feb clamps to 28 Feb');
  t.equal(addDuration(s, { days: 1, hours: 2 }, cal).toISOString(), '2026-03-02T14:00:00.000Z', 'calendar units add up');
  t.throws(() => addDuration(s, { hours: -1 }, cal), RangeError, 'negative hours');
  t.throws(() => addDuration(s, { workingDays: 1.5 }, cal), RangeError, 'fractional working days');
  t.throws(() => addDuration(s, { workingDays: 1, hours: 1 }, cal), RangeError, 'working days mixed with hours');
  t.throws(() => addDuration(new Date('nope'), { hours: 1 }, cal), RangeError, 'invalid start');
  const noWork = makeCalendar({ timeZone: 'UTC', workingDays: ['monday'], fixedHolidays: [] });
  t.equal(addDuration(new Date('2026-03-02T10:00:00Z'), { workingDays: 1 }, noWork).toISOString(), '2026-03-09T23:59:59.000Z', 'a one-day working week');
});

t.test('shipped rules give the table of workflow.md', async (t) => {
  const shipped = loadCalendarPolicy(new URL('../../policies/', import.meta.url).pathname);
  const start = new Date('2026-06-01T08:00:00Z'); // a Monday, no holiday that week
  const due = (n: DeadlineName, urgent: boolean, extra: { riskLevel?: 'high' | 'extreme' | 'low' } = {}) =>
    dueFor(rule(n), start, { urgent, ...extra }, shipped)?.toISOString() ?? null;
  t.equal(due('acknowledge', false), '2026-06-03T08:00:00.000Z', 'acknowledge 48 h');
  t.equal(due('acknowledge', true), '2026-06-01T09:00:00.000Z', 'acknowledge urgent 1 h');
  t.equal(due('triage', false), '2026-06-08T23:59:59.000Z', 'triage 5 working days');
  t.equal(due('info_reply', true), null, 'no urgent info reply');
  t.equal(due('urgent_confirmation', false), null, 'no ordinary urgent confirmation');
  t.equal(due('urgent_confirmation', true), '2026-06-15T08:00:00.000Z', 'urgent confirmation 14 days');
  t.equal(due('checkin', false, { riskLevel: 'extreme' }), '2026-06-01T22:00:00.000Z', 'check-in extreme 12 h + 2 h grace');
  t.equal(due('checkin', false, { riskLevel: 'high' }), '2026-06-02T10:00:00.000Z', 'check-in high 24 h + 2 h grace');
  t.equal(due('checkin', false, { riskLevel: 'low' }), null, 'no check-in at low risk');
  t.equal(due('retention', false), '2036-06-01T08:00:00.000Z', 'retention 10 years');
  t.equal(dueFor(rule('review'), start, { urgent: false, measureEnd: new Date('2026-12-31T00:00:00Z') }, shipped)?.toISOString(), '2026-12-31T00:00:00.000Z', 'review at the end date');
  t.equal(dueFor(rule('review'), start, { urgent: false }, shipped), null, 'no review without an end date');
  // Eid al-Fitr 2026 (expected 20 March, a Friday) is in the shipped calendar: 1 working day from Thursday is Monday.
  t.equal(addDuration(new Date('2026-03-19T10:00:00Z'), { workingDays: 1 }, shipped).toISOString(), '2026-03-23T23:59:59.000Z');
});

t.test('ladder', async (t) => {
  const dflt = policy.defaultLadder;
  // 48 h acknowledge: reminder capped at 24 h before, level 2 capped at 24 h after.
  let l = ladder(new Date('2026-06-01T00:00:00Z'), new Date('2026-06-03T00:00:00Z'), { urgent: false }, dflt);
  t.equal(l.reminder?.toISOString(), '2026-06-02T00:00:00.000Z');
  t.equal(l.level1.toISOString(), '2026-06-03T00:00:00.000Z');
  t.equal(l.level2?.toISOString(), '2026-06-04T00:00:00.000Z');
  // 3 h urgent: reminder at half (1.5 h before), level 2 after min(1.5 h, 1 h) = 1 h.
  l = ladder(new Date('2026-06-01T00:00:00Z'), new Date('2026-06-01T03:00:00Z'), { urgent: true }, dflt);
  t.equal(l.reminder?.toISOString(), '2026-06-01T01:30:00.000Z');
  t.equal(l.level2?.toISOString(), '2026-06-01T04:00:00.000Z');
  // The same 3 h window in an ordinary case: level 2 after half the window (1.5 h < 24 h).
  l = ladder(new Date('2026-06-01T00:00:00Z'), new Date('2026-06-01T03:00:00Z'), { urgent: false }, dflt);
  t.equal(l.level2?.toISOString(), '2026-06-01T04:30:00.000Z');
  // info_reply: reminder to the defender at day 7 of 14.
  l = ladder(new Date('2026-06-01T00:00:00Z'), new Date('2026-06-15T00:00:00Z'), { urgent: false }, rule('info_reply').ladder);
  t.equal(l.reminder?.toISOString(), '2026-06-08T00:00:00.000Z');
  // review: 30 days before the end date.
  l = ladder(new Date('2026-01-01T00:00:00Z'), new Date('2026-12-31T00:00:00Z'), { urgent: false }, rule('review').ladder);
  t.equal(l.reminder?.toISOString(), '2026-12-01T00:00:00.000Z');
  // check-in: no reminder, straight to level 1.
  l = ladder(new Date('2026-06-01T00:00:00Z'), new Date('2026-06-01T14:00:00Z'), { urgent: false }, rule('checkin').ladder);
  t.equal(l.reminder, null);
  t.equal(l.level1.toISOString(), '2026-06-01T14:00:00.000Z');
});

t.test('pause and resume', async (t) => {
  // Calendar time: 3 h urgent triage paused after 1 h, resumed a day later: 2 h left.
  const urgent = { start: new Date('2026-06-01T10:00:00Z'), due: new Date('2026-06-01T13:00:00Z'), duration: { hours: 3 } };
  const p1 = pause(urgent, new Date('2026-06-01T11:00:00Z'));
  t.equal(p1.remainingMs, 2 * H);
  t.equal(resume(p1, new Date('2026-06-02T09:00:00Z'), cal).due.toISOString(), '2026-06-02T11:00:00.000Z');

  // Working days: 5 working days from Mon 2026-06-01 is due Mon 06-08. Paused Wed 06-03 (Thu, Fri,
  // Mon left = 3), resumed Fri 06-12: 3 working days after Friday is Wed 06-17.
  const start = new Date('2026-06-01T09:00:00Z');
  const triage = { start, due: addDuration(start, { workingDays: 5 }, cal), duration: { workingDays: 5 } };
  t.equal(triage.due.toISOString(), '2026-06-08T23:59:59.000Z');
  const p2 = pause(triage, new Date('2026-06-03T15:00:00Z'));
  t.equal(remainingWorkingDays(p2, cal), 3);
  t.equal(resume(p2, new Date('2026-06-12T08:00:00Z'), cal).due.toISOString(), '2026-06-17T23:59:59.000Z');
  // Paused on its last day: resumed on a Saturday, it ends on the Monday, not the Saturday.
  const p3 = pause(triage, new Date('2026-06-08T10:00:00Z'));
  t.equal(remainingWorkingDays(p3, cal), 0);
  t.equal(resume(p3, new Date('2026-06-13T10:00:00Z'), cal).due.toISOString(), '2026-06-15T23:59:59.000Z');
  // Paused when already overdue by 1 h: resumes 1 h overdue.
  const p4 = pause(triage, new Date('2026-06-09T00:59:59Z'));
  t.equal(remainingWorkingDays(p4, cal), null);
  t.equal(resume(p4, new Date('2026-06-20T12:00:00Z'), cal).due.toISOString(), '2026-06-20T11:00:00.000Z');
});
