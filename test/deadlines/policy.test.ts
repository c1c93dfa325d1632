/**
 * The shipped policy files load, and a broken one is refused with a message naming the problem and
 * where it is (the service refuses to start rather than count deadlines wrongly).
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isHoliday, localDayNumber } from '../../src/deadlines/calendar.js';
import { DEADLINE_NAMES, PolicyError, loadCalendarPolicy, loadDeadlinePolicy, parseCalendarPolicy, parseDeadlinePolicy } from '../../src/deadlines/deadline-policy.js';

const dir = new URL('../../policies/', import.meta.url).pathname;
const rawCalendar = () => parse(readFileSync(join(dir, 'calendar.yaml'), 'utf8')) as Record<string, unknown>;
const rawDeadlines = () => parse(readFileSync(join(dir, 'deadlines.yaml'), 'utf8')) as { ladder: Record<string, unknown>; deadlines: Record<string, Record<string, unknown>> };

/** Asserts that parsing throws a PolicyError whose message contains every fragment. */
function refused(t: Test, fn: () => unknown, fragments: string[], name: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  t.type(err, PolicyError, `${name}: refused with a PolicyError`);
  const msg = err instanceof Error ? err.message : '';
  for (const f of fragments) t.match(msg, f, `${name}: names ${f}`);
}

t.test('the shipped calendar loads', async (t) => {
  const cal = loadCalendarPolicy(dir);
  t.equal(cal.timeZone, 'Africa/Bamako');
  t.same([...cal.workingWeekdays].sort(), [1, 2, 3, 4, 5]);
  for (const md of ['01-01', '01-20', '03-26', '05-01', '05-25', '09-22', '12-25']) t.ok(cal.fixedHolidays.has(md), `fixed holiday ${md}`);
  const day = (iso: string) => localDayNumber(Date.parse(`${iso}T12:00:00Z`), cal.timeZone);
  t.ok(isHoliday(cal, day('2027-09-22')), 'a fixed holiday applies every year');
  t.ok(isHoliday(cal, day('2026-04-06')), 'Easter Monday 2026 is dated');
  t.ok(isHoliday(cal, day('2027-03-29')), 'Easter Monday 2027 is dated');
  t.notOk(isHoliday(cal, day('2026-04-07')), 'an ordinary Tuesday is not a holiday');
  t.ok([...cal.holidays].some((d) => d.startsWith('2026')) && [...cal.holidays].some((d) => d.startsWith('2027')), 'movable holidays for 2026 and 2027');
});

t.test('the shipped deadlines load with every row of the table', async (t) => {
  const p = loadDeadlinePolicy(dir);
  t.same([...p.rules.keys()].sort(), [...DEADLINE_NAMES].sort());
  t.same(p.rules.get('triage')?.ordinary, { workingDays: 5 });
  t.same(p.rules.get('triage')?.pause, { on: 'case.info_requested', resume: 'case.info_provided' });
  t.equal(p.rules.get('referral_report')?.recurring, true);
  t.same(p.rules.get('acknowledge')?.ladder, p.defaultLadder, 'no override: the default ladder');
  t.equal(p.rules.get('checkin')?.ladder.reminder, null, 'check-in override: no reminder');
  t.same(p.rules.get('checkin')?.ladder.level2, p.defaultLadder.level2, 'an override replaces only its own step');
});

t.test('bad calendars are refused', async (t) => {
  refused(t, () => parseCalendarPolicy({ ...rawCalendar(), timeZone: 'Africa/Tombouctou' }, 'cal.yaml'), ['cal.yaml', '/timeZone', 'Africa/Tombouctou'], 'unknown time zone');
  const badDate = rawCalendar();
  badDate['holidays'] = [{ date: '2026-02-30', name: 'x' }];
  refused(t, () => parseCalendarPolicy(badDate), ['/holidays/0/date', '2026-02-30'], 'impossible date');
  const badFormat = rawCalendar();
  badFormat['holidays'] = [{ date: '30/02/2026', name: 'x' }];
  refused(t, () => parseCalendarPolicy(badFormat), ['/holidays/0/date'], 'date not in YYYY-MM-DD');
  const badFixed = rawCalendar();
  badFixed['fixedHolidays'] = [{ date: '13-01', name: 'x' }];
  refused(t, () => parseCalendarPolicy(badFixed), ['/fixedHolidays/0/date', '13-01'], 'impossible month-day');
  refused(t, () => parseCalendarPolicy({ ...rawCalendar(), weekend: ['friday'] }), ['/weekend'], 'unknown key');
  refused(t, () => parseCalendarPolicy({ ...rawCalendar(), workingDays: ['monday', 'funday'] }), ['/workingDays/1'], 'unknown weekday');
  t.doesNotThrow(() => parseCalendarPolicy({ ...rawCalendar(), fixedHolidays: [{ date: '02-29', name: 'leap' }] }), '29 February is a valid fixed holiday');
});

t.test('bad deadline policies are refused', async (t) => {
  const neg = rawDeadlines();
  neg.deadlines['triage'] = { ...neg.deadlines['triage'], ordinary: { workingDays: -5 } };
  refused(t, () => parseDeadlinePolicy(neg, 'dl.yaml'), ['dl.yaml', '/deadlines/triage/ordinary'], 'negative duration');
  const zero = rawDeadlines();
  zero.deadlines['acknowledge'] = { ...zero.deadlines['acknowledge'], urgent: { hours: 0 } };
  refused(t, () => parseDeadlinePolicy(zero), ['/deadlines/acknowledge/urgent'], 'zero duration');
  const unknownKey = rawDeadlines();
  unknownKey.deadlines['appeal'] = { ...unknownKey.deadlines['appeal'], owner: 'officer' };
  refused(t, () => parseDeadlinePolicy(unknownKey), ['/deadlines/appeal/owner'], 'unknown key in a rule');
  const twoUnits = rawDeadlines();
  twoUnits.deadlines['appeal'] = { ...twoUnits.deadlines['appeal'], ordinary: { days: 15, hours: 2 } };
  refused(t, () => parseDeadlinePolicy(twoUnits), ['/deadlines/appeal/ordinary'], 'two units in one duration');
  const unknownKind = rawDeadlines();
  unknownKind.deadlines['review'] = { ...unknownKind.deadlines['review'], ordinary: { kind: 'whenever' } };
  refused(t, () => parseDeadlinePolicy(unknownKind), ['/deadlines/review/ordinary'], 'unknown duration kind');
  const unknownDeadline = rawDeadlines();
  unknownDeadline.deadlines['coffee'] = { ...unknownDeadline.deadlines['appeal'] };
  refused(t, () => parseDeadlinePolicy(unknownDeadline), ['/deadlines/coffee', 'unknown deadline'], 'unknown deadline');
  const missing = rawDeadlines();
  delete missing.deadlines['retention'];
  refused(t, () => parseDeadlinePolicy(missing), ['missing retention'], 'missing deadline');
  const neither = rawDeadlines();
  neither.deadlines['consent'] = { ...neither.deadlines['consent'], ordinary: null, urgent: null };
  refused(t, () => parseDeadlinePolicy(neither), ['/deadlines/consent', 'both be null'], 'no duration at all');
  const badLadder = rawDeadlines();
  badLadder.ladder = { ...badLadder.ladder, reminder: { fraction: 1.5 } };
  refused(t, () => parseDeadlinePolicy(badLadder), ['/ladder/reminder'], 'fraction above 1');
  const badEvent = rawDeadlines();
  badEvent.deadlines['consent'] = { ...badEvent.deadlines['consent'], starts: 'Measure Proposed' };
  refused(t, () => parseDeadlinePolicy(badEvent), ['/deadlines/consent/starts'], 'event not a code');
  t.doesNotThrow(() => parseDeadlinePolicy(rawDeadlines()), 'the unmodified file parses (the refusals above are due to the edits)');
});
