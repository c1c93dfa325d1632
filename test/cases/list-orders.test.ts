/**
 * The orders and filters the staff console adds to the case list (GET /v1/cases: sort, category,
 * dueWithin) and the queue's counts (GET /v1/cases/counts). For every sort, walking every page
 * with a small limit gives exactly the rows of an ORDER BY on the full set (no duplicate, no gap),
 * for a supervisor (every case) and an officer (the pool and their own cases); counts are those
 * of the caller's scope only.
 */
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, fileCase, refreshIfStale, type Actor } from '../helpers/world.js';
import { ready } from '../../src/sdk/index.js';
import type { CaseSummary } from '../../src/contracts/case-list.js';

await ready();
t.setTimeout(600_000);
const T = await buildTestApp(t, { now: '2026-03-20T10:00:00.000Z' });
const sql = T.database.sql;
const w = await buildWorld(T, { officers: ['a', 'b'] });
const { a: officerA, b: officerB } = w.officers;
const sup = w.supervisor;

const CATEGORIES = ['journalist', 'lawyer', 'blogger'] as const;
const STATES = ['received', 'triage', 'assessment', 'protection', 'closed'] as const;
const RISKS = [null, 'low', 'medium', 'high', 'extreme'] as const;
const minute = 60_000;
const day = 24 * 60 * minute;

// 26 cases, then their metadata set in SQL the way the workflow would leave it (states, risk,
// assignees, deadlines), with ties on every sort key but the last.
const ids: string[] = [];
for (let i = 0; i < 26; i++) {
  ids.push((await fileCase(T, w.dep, { metadata: { defenderCategory: CATEGORIES[i % CATEGORIES.length]! } })).caseId);
  T.clock.advance(minute);
}
const now0 = T.clock.now().getTime();
for (const [i, id] of ids.entries()) {
  const state = STATES[i % STATES.length]!;
  const assignee = state === 'received' ? null : i % 3 === 0 ? officerA.id : i % 3 === 1 ? officerB.id : null;
  await sql`update cases set state = ${state}, urgent = ${i % 4 === 0}, risk_level = ${RISKS[i % RISKS.length] ?? null}, assignee_id = ${assignee} where id = ${id}`;
  // Every case has its triage deadline from filing; move it to spread the due times (some past, some far), settle some.
  if (i % 5 === 4) await sql`update deadlines set state = 'settled', settled_at = ${new Date(now0).toISOString()} where case_id = ${id}`;
  else await sql`update deadlines set due_at = ${new Date(now0 + ((i % 7) - 2) * 3 * day + i * minute).toISOString()} where case_id = ${id} and state = 'open'`;
}
// Ties: two cases created at the same instant (the id decides).
await sql`update cases set created_at = (select created_at from cases where id = ${ids[3]!}) where id = ${ids[8]!}`;

const get = async (who: Actor, query: string) => {
  await refreshIfStale(T, who);
  return T.app.inject({ method: 'GET', url: `/v1/cases${query ? `?${query}` : ''}`, headers: who.auth() });
};

/** Every page of a query, following nextCursor; the ids in the order served. */
async function walk(who: Actor, query: string, limit: number, from: string | null = null): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = from;
  let pages = 0;
  do {
    const q: string = [query, `limit=${limit}`, cursor ? `cursor=${cursor}` : ''].filter(Boolean).join('&');
    const res = await get(who, q);
    if (res.statusCode !== 200) throw new Error(`list ${q}: ${res.statusCode} ${res.body}`);
    const body = res.json() as { items: CaseSummary[]; nextCursor: string | null };
    if (body.items.length > limit) throw new Error('page larger than the limit');
    out.push(...body.items.map((i) => i.id));
    cursor = body.nextCursor;
    if (++pages > 200) throw new Error('no end of pages');
  } while (cursor);
  return out;
}

/** The oracle: the same rows by an ORDER BY written independently of the service's statement. */
const ORDER_BY: Record<string, string> = {
  due: `urgent desc, next_due_at asc nulls last, created_at, id`,
  created: `created_at desc, id desc`,
  risk: `array_position(array['extreme','high','medium','low']::text[], risk_level) asc nulls last, created_at, id`,
  reference: `reference`,
};

async function oracle(sort: string, where: string): Promise<string[]> {
  const rows = await sql.unsafe(`select id from cases where ${where} order by ${ORDER_BY[sort]}`);
  return rows.map((r) => r.id as string);
}

const officerScope = (me: Actor) => `(state = 'received' or assignee_id = '${me.id}')`;

t.test('every sort walks every page with no duplicate and no gap, as the ORDER BY on the full set', async (t) => {
  for (const sort of ['due', 'created', 'risk', 'reference']) {
    for (const limit of [1, 4]) {
      const served = await walk(sup, sort === 'due' ? '' : `sort=${sort}`, limit);
      t.same(served, await oracle(sort, 'true'), `${sort}, pages of ${limit}: every case in order`);
      t.equal(new Set(served).size, served.length, `${sort}, pages of ${limit}: no duplicate`);
    }
    const mine = await walk(officerA, `sort=${sort}`, 3);
    t.same(mine, await oracle(sort, officerScope(officerA)), `${sort}: the officer's scope only, in order`);
  }
  t.same(await walk(sup, 'sort=due', 5), await walk(sup, '', 5), 'due is the default');
});

t.test('category and dueWithin, alone and with each sort', async (t) => {
  const soon = new Date(now0 + 7 * day).toISOString();
  for (const sort of ['due', 'created', 'risk', 'reference']) {
    t.same(await walk(sup, `sort=${sort}&category=lawyer`, 3), await oracle(sort, `defender_category = 'lawyer'`), `${sort}: category`);
    t.same(await walk(sup, `sort=${sort}&dueWithin=7`, 3), await oracle(sort, `next_due_at < '${soon}'`), `${sort}: due within 7 days (overdue included)`);
    t.same(
      await walk(officerB, `sort=${sort}&category=journalist&dueWithin=30`, 2),
      await oracle(sort, `${officerScope(officerB)} and defender_category = 'journalist' and next_due_at < '${new Date(now0 + 30 * day).toISOString()}'`),
      `${sort}: both, in an officer's scope`,
    );
  }
  t.ok((await oracle('due', `next_due_at < '${soon}'`)).length < (await oracle('due', `next_due_at is not null`)).length, 'dueWithin leaves some cases with a later deadline out');
  t.ok((await oracle('due', `next_due_at < '${new Date(now0).toISOString()}'`)).length > 0, 'some cases are overdue');
});

t.test('bad sorts, categories, dueWithin and cursors of another sort are refused', async (t) => {
  for (const q of ['sort=oldest', 'category=astronaut', 'category=Lawyer', 'dueWithin=0', 'dueWithin=366', 'dueWithin=-1', 'dueWithin=abc']) {
    const res = await get(sup, q);
    t.equal(res.statusCode, 400, q);
    t.equal(res.json().code, 'validation_failed', q);
  }
  const created = (await get(sup, 'sort=created&limit=2')).json().nextCursor as string;
  const res = await get(sup, `sort=risk&cursor=${created}`);
  t.equal(res.statusCode, 400, "a cursor continues only the sort it was made for");
  t.equal((await get(sup, `cursor=${created}`)).statusCode, 400, 'nor the default sort');
});

t.test('the counts are those of the caller’s scope', async (t) => {
  const now = new Date(now0).toISOString();
  const count = async (where: string) => Number((await sql.unsafe(`select count(*)::int as n from cases where ${where}`))[0]!.n);
  const expected = async (scope: string, me: string | null) => ({
    pool: await count(`${scope} and state = 'received' and assignee_id is null`),
    mine: me ? await count(`${scope} and assignee_id = '${me}' and state <> 'closed'`) : 0,
    overdue: await count(`${scope} and next_due_at < '${now}' and state <> 'closed'`),
    urgent: await count(`${scope} and urgent and state <> 'closed'`),
    byState: Object.fromEntries((await sql.unsafe(`select state, count(*)::int as n from cases where ${scope} group by state`)).map((r) => [r.state, Number(r.n)])),
  });
  const counts = async (who: Actor) => {
    await refreshIfStale(T, who);
    const res = await T.app.inject({ method: 'GET', url: '/v1/cases/counts', headers: who.auth() });
    t.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const forSup = await counts(sup);
  t.same(forSup, await expected('true', sup.id), 'a supervisor counts every case');
  t.equal(Object.values(forSup.byState as Record<string, number>).reduce((a, b) => a + b, 0), ids.length);
  const forA = await counts(officerA);
  t.same(forA, await expected(officerScope(officerA), officerA.id), 'an officer counts the pool and their own cases');
  t.ok(forA.mine > 0 && forA.overdue > 0 && forA.urgent > 0 && forA.pool > 0, 'every count has something to count');
  t.ok(forA.byState.triage < forSup.byState.triage, "another officer's cases are not counted");
  // As the list, the counts are audited, and refused to those who may not list cases.
  const [ev] = await sql`select outcome, resource from audit_events where action = 'case.list' and actor = ${`u:${officerA.id}`} order by id desc limit 1`;
  t.same([ev!.outcome, ev!.resource], ['allowed', 'cases/counts']);
  await refreshIfStale(T, w.admin);
  t.equal((await T.app.inject({ method: 'GET', url: '/v1/cases/counts', headers: w.admin.auth() })).statusCode, 403);
  t.equal((await T.app.inject({ method: 'GET', url: '/v1/cases/counts' })).statusCode, 401);
});

t.test('a case filed between pages is neither repeated nor does it push another out', async (t) => {
  const first = (await get(sup, 'sort=created&limit=5')).json() as { items: CaseSummary[]; nextCursor: string };
  T.clock.advance(minute);
  const late = await fileCase(T, w.dep, { metadata: { defenderCategory: 'lawyer' } });
  const rest = await walk(sup, 'sort=created', 5, first.nextCursor);
  const all = [...first.items.map((i) => i.id), ...rest];
  t.notOk(all.includes(late.caseId), 'the newest case comes before the cursor: not in the pages after it');
  t.same(all, (await oracle('created', 'true')).filter((id) => id !== late.caseId), 'every other case exactly once');
});
