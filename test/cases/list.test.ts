/**
 * The case lists of staff (GET /v1/cases): an officer sees the intake pool and their own cases,
 * a supervisor every case; filters, urgent first then by the next due time, keyset pages that
 * neither repeat nor skip a case, and one audited read per list.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { buildWorld, enrolActor, refreshIfStale, type Actor } from '../helpers/world.js';
import { deriveReceiptKeys, prepareFiling, ready, toB64u, type FilingMetadata } from '../../src/sdk/index.js';
import type { CaseSummary } from '../../src/contracts/case-list.js';

await ready();

const T = await buildTestApp(t, { now: '2026-03-20T10:00:00.000Z', env: { REFRESH_TOKEN_TTL_SECONDS: String(7 * 24 * 3600) } });
const sql = T.database.sql;
const { dep, officers: { a: officerA, b: officerB } } = await buildWorld(T, { officers: ['a', 'b'] });
const org = await T.app.inject({ method: 'POST', url: '/v1/orgs', headers: dep.admin.auth(), payload: { name: 'Avocats sans frontières' } });
const partner = await enrolActor(T, dep.admin, { username: 'partner-1', role: 'partner', orgId: org.json().id });
const intakeKey = (await T.app.inject({ method: 'GET', url: '/v1/keys/intake' })).json();

const REGIONS = ['bamako', 'mopti', 'gao', 'kidal'] as const;
const STATES = ['received', 'triage', 'assessment', 'protection', 'closed'] as const;
const RISKS = [null, 'low', 'medium', 'high', 'extreme'] as const;
const secrets = { identity: { fullName: 'X' }, contact: { phone: 'Y' }, narrative: { text: 'Z' } };

async function fileCase(i: number, claimedUrgent = false): Promise<{ caseId: string; receipt: string }> {
  const metadata: FilingMetadata = { region: REGIONS[i % REGIONS.length]!, defenderCategory: i % 2 ? 'journalist' : 'lawyer', gender: 'female', disability: 'none', threatTypes: ['death_threat'], claimedUrgent, preferredLanguage: 'fr', contactChannel: 'signal', filedFor: 'self' };
  const filing = prepareFiling({ intakeKey, pinnedKeyId: dep.mechanismKeyId, metadata, secrets });
  const res = await T.app.inject({ method: 'POST', url: '/v1/cases', payload: filing.body as object });
  if (res.statusCode !== 201) throw new Error(`filing ${res.statusCode} ${res.body} ${T.logs.filter((l) => l.includes("\"level\":50")).join("\n").slice(0, 2000)}`);
  T.clock.advance(60_000);
  return { caseId: filing.body.caseId, receipt: filing.receipt };
}

// 30 cases, then their metadata set in SQL the way the workflow would leave it.
const filed: Array<{ caseId: string; receipt: string }> = [];
for (let i = 0; i < 30; i++) filed.push(await fileCase(i, i % 7 === 0));
const ids = filed.map((f) => f.caseId);
const minute = 60_000;
const now0 = T.clock.now().getTime();
for (const [i, id] of ids.entries()) {
  const state = STATES[i % STATES.length]!;
  const assignee = state === 'received' ? null : i % 3 === 0 ? officerA.id : i % 3 === 1 ? officerB.id : null;
  await sql`update cases set state = ${state}, urgent = ${i % 7 === 0 || i % 11 === 0}, risk_level = ${RISKS[i % RISKS.length] ?? null}, assignee_id = ${assignee} where id = ${id}`;
  // Leave some cases without any open deadline; give others one more, due in the past or later.
  if (i % 4 === 0) await sql`update deadlines set state = 'settled', settled_at = ${new Date(now0).toISOString()} where case_id = ${id}`;
  if (i % 3 === 0) {
    const due = new Date(now0 + (i % 2 ? -1 : 1) * (i + 1) * 30 * minute).toISOString();
    await sql`insert into deadlines (id, case_id, rule, urgent, started_at, due_at) values (${randomUUID()}, ${id}, 'triage', false, ${new Date(now0 - 86_400_000).toISOString()}, ${due})`;
  }
}
// Two cases share a due time and a creation time: the id decides.
await sql`update cases set created_at = (select created_at from cases where id = ${ids[5]!}) where id = ${ids[10]!}`;
await sql`update deadlines set due_at = '2026-03-25T00:00:00.000Z' where case_id in (${ids[5]!}, ${ids[10]!}) and state = 'open'`;

/** A case as the list answers it. */
type Item = CaseSummary;

/**
 * The oracle: every case with its earliest open deadline read from the deadlines table itself
 * (not from the column the list uses), sorted in JavaScript.
 */
async function oracle(): Promise<Item[]> {
  const now = T.clock.now().getTime();
  const rows = await sql`
    select c.id, c.reference, c.state, c.urgent, c.urgent_claimed, c.risk_level, c.region, c.defender_category, c.assignee_id, c.created_at, d.rule, d.due_at
    from cases c left join lateral (select rule, due_at from deadlines where case_id = c.id and state = 'open' order by due_at, id limit 1) d on true`;
  const items: Item[] = rows.map((r) => ({
    id: r.id,
    reference: r.reference,
    state: r.state,
    urgent: r.urgent,
    urgentClaimed: r.urgent_claimed,
    riskLevel: r.risk_level,
    region: r.region,
    defenderCategory: r.defender_category,
    assigneeId: r.assignee_id,
    createdAt: new Date(r.created_at).toISOString(),
    nextDue: r.due_at ? { rule: r.rule, dueAt: new Date(r.due_at).toISOString() } : null,
    overdue: r.due_at !== null && new Date(r.due_at).getTime() < now,
    unreadMessages: 0,
  }));
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return items.sort((a, b) => Number(b.urgent) - Number(a.urgent) || cmp(a.nextDue?.dueAt ?? '~', b.nextDue?.dueAt ?? '~') || cmp(a.createdAt, b.createdAt) || cmp(a.id, b.id));
}

const get = async (actor: Actor | { auth(): Record<string, string> } | null, query = '') => {
  if (actor && 'refreshToken' in actor) await refreshIfStale(T, actor);
  return T.app.inject({ method: 'GET', url: `/v1/cases${query ? `?${query}` : ''}`, headers: actor ? actor.auth() : {} });
};

/** Every page of a query, following nextCursor. */
async function all(actor: Actor, query: string, limit = 7): Promise<{ items: Item[]; pages: number }> {
  const items: Item[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q: string = [query, `limit=${limit}`, cursor ? `cursor=${cursor}` : ''].filter(Boolean).join('&');
    const res = await get(actor, q);
    if (res.statusCode !== 200) throw new Error(`list ${q}: ${res.statusCode} ${res.body}`);
    const body = res.json() as { items: Item[]; nextCursor: string | null };
    if (body.items.length > limit) throw new Error('page larger than the limit');
    items.push(...body.items);
    cursor = body.nextCursor;
    pages++;
    if (pages > 100) throw new Error('no end of pages');
  } while (cursor);
  return { items, pages };
}

const officerScope = (me: Actor) => (c: Item) => c.state === 'received' || c.assigneeId === me.id;

t.test('the data has what the filters need', async (t) => {
  const o = await oracle();
  t.equal(o.length, 30);
  t.ok(o.some((c) => c.overdue) && o.some((c) => !c.overdue && c.nextDue), 'overdue and not yet due cases');
  t.ok(o.some((c) => c.nextDue === null), 'cases without an open deadline');
  t.ok(o.some((c) => c.assigneeId === officerA.id) && o.some((c) => c.assigneeId === officerB.id && c.state !== 'received'), 'cases assigned to each officer');
  t.ok(o.filter((c) => c.urgent).length >= 3, 'urgent cases');
});

t.test('a supervisor lists every case, urgent first then by next due time, in pages', async (t) => {
  const expected = await oracle();
  const { items, pages } = await all(dep.supervisor, '');
  t.same(items, expected, 'every field of every case, in the expected order');
  t.equal(pages, Math.ceil(30 / 7), 'the last page says there is no next one');
  t.equal(new Set(items.map((i) => i.id)).size, 30, 'no duplicates');
  const first = (await get(dep.supervisor, 'limit=100')).json();
  t.equal(first.items.length, 30);
  t.equal(first.nextCursor, null);
  t.equal((await get(dep.supervisor)).json().items.length, 30, 'default page size 50');
  t.notOk(JSON.stringify(first).includes('sealed') || 'consent' in first.items[0] || 'receiptVerifier' in first.items[0], 'metadata only');
  const i5 = items.findIndex((i) => i.id === ids[5]);
  const i10 = items.findIndex((i) => i.id === ids[10]);
  t.equal(Math.abs(i5 - i10), 1, 'equal due and creation times sit together');
  t.ok((i5 < i10) === (ids[5]! < ids[10]!), 'the id breaks the tie');
});

t.test('each filter, alone and together', async (t) => {
  const o = await oracle();
  const cases: Array<[string, (c: Item) => boolean]> = [
    ['state=triage', (c) => c.state === 'triage'],
    ['state=triage,protection,closed', (c) => ['triage', 'protection', 'closed'].includes(c.state)],
    ['riskLevel=high', (c) => c.riskLevel === 'high'],
    ['urgent=true', (c) => c.urgent],
    ['urgent=false', (c) => !c.urgent],
    ['region=mopti', (c) => c.region === 'mopti'],
    [`assignee=${officerB.id}`, (c) => c.assigneeId === officerB.id],
    [`assignee=${officerB.id.toUpperCase()}`, (c) => c.assigneeId === officerB.id],
    ['assignee=none', (c) => c.assigneeId === null],
    ['assignee=me', (c) => c.assigneeId === dep.supervisor.id],
    ['overdue=true', (c) => c.overdue],
    ['overdue=false', (c) => !c.overdue],
    ['overdue=false&urgent=true&region=bamako', (c) => !c.overdue && c.urgent && c.region === 'bamako'],
    ['state=assessment,triage&assignee=none&riskLevel=medium', (c) => ['assessment', 'triage'].includes(c.state) && c.assigneeId === null && c.riskLevel === 'medium'],
  ];
  for (const [q, keep] of cases) {
    const expected = o.filter(keep);
    const { items } = await all(dep.supervisor, q, 4);
    t.same(items.map((i) => i.id), expected.map((i) => i.id), q);
  }
  t.ok(o.filter((c) => c.state === 'triage').length > 0 && o.filter((c) => c.overdue).length > 0 && o.filter((c) => c.riskLevel === 'high').length > 0, 'the filters select something');
});

t.test('overdue follows the clock and the deadlines', async (t) => {
  const before = (await all(dep.supervisor, 'overdue=true', 100)).items.map((i) => i.id);
  T.clock.advance(49 * 3600_000); // every 48 h acknowledgement deadline is now past
  const after = await all(dep.supervisor, 'overdue=true', 100);
  t.ok(after.items.length > before.length, 'more cases are overdue two days later');
  t.same(after.items.map((i) => i.id), (await oracle()).filter((c) => c.overdue).map((c) => c.id));
  t.ok(after.items.every((i) => i.overdue && i.nextDue !== null && i.nextDue.dueAt < T.clock.now().toISOString()));
  // Settling a case's deadlines takes it off the overdue list and sends it after the cases with one.
  const victim = after.items[0]!.id;
  await sql`update deadlines set state = 'settled', settled_at = now() where case_id = ${victim}`;
  const listed = (await all(dep.supervisor, '', 100)).items;
  const v = listed.find((i) => i.id === victim)!;
  t.same([v.nextDue, v.overdue], [null, false]);
  t.same(listed.map((i) => i.id), (await oracle()).map((i) => i.id));
  T.clock.advance(-49 * 3600_000);
});

t.test('an officer lists the intake pool and their own cases, never another officer’s', async (t) => {
  const o = await oracle();
  for (const me of [officerA, officerB]) {
    const { items } = await all(me, '', 5);
    const expected = o.filter(officerScope(me));
    t.same(items, expected, `${me.username}: pool + assigned`);
    const other = me === officerA ? officerB : officerA;
    t.notOk(items.some((i) => i.assigneeId === other.id), 'no case of the other officer');
    t.ok(items.some((i) => i.assigneeId === me.id) && items.some((i) => i.state === 'received'), 'both scopes present');
    t.same((await all(me, `assignee=${other.id}`)).items, [], "asking for the other officer's cases finds nothing");
    t.same((await all(me, 'assignee=me')).items.map((i) => i.id), o.filter((c) => c.assigneeId === me.id).map((c) => c.id), 'assignee=me');
    t.same((await all(me, 'state=closed')).items.map((i) => i.id), o.filter((c) => c.state === 'closed' && c.assigneeId === me.id).map((c) => c.id), 'filters apply within the scope');
  }
  // A received case assigned to officer B is still in the pool for officer A.
  await sql`update cases set assignee_id = ${officerB.id} where id = ${ids[0]!}`;
  t.ok((await all(officerA, '', 100)).items.some((i) => i.id === ids[0]), 'pool case visible to A');
  await sql`update cases set assignee_id = null where id = ${ids[0]!}`;
});

t.test('pages neither repeat nor skip, even with cases filed between pages', async (t) => {
  for (const actor of [dep.supervisor, officerA]) {
    const first = (await get(actor, 'limit=6')).json();
    t.equal(first.items.length, 6);
    const lastKey = first.items[5] as Item;
    // New filings between the pages: received, urgent or not, with a 48 h or 1 h deadline.
    const fresh = [await fileCase(100), await fileCase(101, true)];
    await sql`update cases set urgent = true where id = ${ids[29]!}`;
    const rest: Item[] = [];
    let cursor: string | null = first.nextCursor;
    while (cursor) {
      const page = (await get(actor, `limit=6&cursor=${cursor}`)).json();
      rest.push(...page.items);
      cursor = page.nextCursor;
    }
    const seen = [...first.items, ...rest].map((i: Item) => i.id);
    t.equal(new Set(seen).size, seen.length, 'no case twice');
    const o = (await oracle()).filter(actor === officerA ? officerScope(officerA) : () => true);
    const pos = o.findIndex((i) => i.id === lastKey.id);
    // After the cursor: exactly the cases that now sort after the last row of page one.
    t.same(rest.map((i) => i.id), o.slice(pos + 1).map((i) => i.id), 'the rest follows the cursor without a gap');
    t.ok(o.slice(0, pos + 1).every((i) => seen.includes(i.id) || fresh.some((f) => f.caseId === i.id) || i.id === ids[29]), 'nothing before the cursor was missed but what moved or arrived there');
    await sql`update cases set urgent = false where id = ${ids[29]!}`;
  }
});

t.test('defenders, partners and admins may not list cases; nobody unauthenticated', async (t) => {
  const keys = deriveReceiptKeys(filed[1]!.receipt.replace(/ /g, '-'), intakeKey.receiptSalt);
  const login = await T.app.inject({ method: 'POST', url: '/v1/auth/receipt', payload: { authKey: toB64u(keys.authKey) } });
  t.equal(login.statusCode, 200, login.body);
  const defender = { auth: () => ({ authorization: `Bearer ${login.json().accessToken}` }) };
  for (const [who, actor] of [['defender', defender], ['partner', partner], ['admin', dep.admin]] as const) {
    const res = await get(actor);
    t.equal(res.statusCode, 403, who);
    t.equal(res.json().code, 'forbidden', who);
  }
  t.equal((await get(null)).statusCode, 401);
});

t.test('malformed cursors and filters are refused with a problem document', async (t) => {
  const good = (await get(dep.supervisor, 'limit=2')).json().nextCursor as string;
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const key = JSON.parse(Buffer.from(good, 'base64url').toString());
  const bad = [
    'cursor=abc',
    'cursor=!!!',
    `cursor=${b64([1, 2])}`,
    `cursor=${b64({ ...key, i: 'nope' })}`,
    `cursor=${b64({ ...key, c: '2026-13-45T00:00:00.000Z' })}`,
    `cursor=${b64({ ...key, c: '2026-02-30T00:00:00.000Z' })}`,
    `cursor=${b64({ ...key, u: 'yes' })}`,
    `cursor=${b64({ ...key, extra: 1 })}`,
    `cursor=${b64({ ...key, d: "'; drop table cases; --" })}`,
    'state=open',
    'state=received,',
    'riskLevel=severe',
    'urgent=yes',
    'overdue=1',
    'region=Bamako',
    'assignee=someone',
    'limit=0',
    'limit=101',
    'limit=abc',
    'sort=id',
  ];
  for (const q of bad) {
    const res = await get(dep.supervisor, q);
    t.equal(res.statusCode, 400, q);
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', q);
    t.equal(res.json().code, 'validation_failed', q);
  }
  t.equal((await get(dep.supervisor, `cursor=${good}`)).statusCode, 200, 'the good cursor works');
  t.equal((await get(dep.supervisor, `cursor=${b64({ ...key, d: null })}`)).statusCode, 200, 'a cursor past the deadlines is valid');
});

t.test('every list call is audited, allowed or refused', async (t) => {
  const count = async (outcome: string, role: string) => Number((await sql`select count(*)::int as n from audit_events where action = 'case.list' and outcome = ${outcome} and role = ${role}`)[0]!.n);
  const before = { sup: await count('allowed', 'supervisor'), off: await count('allowed', 'officer'), adm: await count('denied', 'admin') };
  await get(dep.supervisor, 'limit=3');
  await get(dep.supervisor, 'state=triage');
  await get(officerA);
  await get(dep.admin);
  t.same({ sup: await count('allowed', 'supervisor'), off: await count('allowed', 'officer'), adm: await count('denied', 'admin') }, { sup: before.sup + 2, off: before.off + 1, adm: before.adm + 1 });
  const [ev] = await sql`select resource, case_id, actor, reason from audit_events where action = 'case.list' and outcome = 'allowed' order by id desc limit 1`;
  t.same({ ...ev }, { resource: 'cases', case_id: null, actor: `u:${officerA.id}`, reason: null }, 'the list read: no case, no filter values');
  const [denied] = await sql`select actor from audit_events where action = 'case.list' and outcome = 'denied' order by id desc limit 1`;
  t.equal(denied!.actor, `u:${dep.admin.id}`, 'the refusal names the admin');
});
