/**
 * Supervisors query, export, fetch the signed head of and verify the audit log; nobody else
 * can; and every read of the log is itself in the log.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { verifyChain, verifyCheckpoint, type ChainedAuditEvent } from '../../src/sdk/index.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { systemContext } from '../../src/access/principal.js';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, enrolActor, refreshIfStale, type Actor } from '../helpers/world.js';

const T = await buildTestApp(t);
const { app } = T;
const dep = await bootstrap(T);
const sup = dep.supervisor;
const officer = await enrolActor(T, dep.admin, { username: 'officer-awa', role: 'officer', orgId: dep.mechanismId });
const partnerOrg = randomUUID();
await app.container.services.repos.orgs.insert({ id: partnerOrg, kind: 'partner', name: 'Partner NGO' });
const partner = await enrolActor(T, dep.admin, { username: 'partner-ibr', role: 'partner', orgId: partnerOrg });

// Some events about cases, spread in time (the service records them as workflows will).
const caseA = randomUUID();
const caseB = randomUUID();
const t0 = T.clock.now();
for (let i = 0; i < 12; i++) {
  T.clock.advance(60_000);
  await app.container.services.audit.record(systemContext(`req-case-${i}`), { action: i % 3 === 0 ? 'case.read_sealed' : 'case.read', resource: `case:${i % 2 ? caseA : caseB}`, caseId: i % 2 ? caseA : caseB, outcome: i % 4 === 3 ? 'denied' : 'allowed', reason: i % 4 === 3 ? 'out of scope' : null });
}
const t1 = T.clock.now();
T.clock.advance(60_000);
for (const a of [sup, officer, partner, dep.admin]) await refreshIfStale(T, a);

const get = (url: string, who?: Actor) => app.inject({ method: 'GET', url, ...(who ? { headers: who.auth() } : {}) });
const events = async (query: string, who: Actor = sup) => {
  const r = await get(`/v1/audit/events?${query}`, who);
  if (r.statusCode !== 200) throw new Error(`events ${r.statusCode} ${r.body}`);
  return r.json() as { items: ChainedAuditEvent[]; next: number | null };
};
const readsBy = async (who: Actor, action = 'audit.read', outcome = 'allowed') =>
  Number((await T.database.sql`select count(*)::int as n from audit_events where actor = ${`u:${who.id}`} and action = ${action} and outcome = ${outcome}`)[0]!.n);

t.test('filters: actor, caseId, action, outcome and a time range', async (t) => {
  const byActor = await events(`actor=u:${officer.id}&limit=500`);
  t.ok(byActor.items.length > 0, 'the officer has events (enrolment, login)');
  t.ok(byActor.items.every((e) => e.actor === `u:${officer.id}`));

  const byCase = await events(`caseId=${caseA}&limit=500`);
  t.equal(byCase.items.length, 6);
  t.ok(byCase.items.every((e) => e.caseId === caseA));

  const byAction = await events('action=case.read_sealed&limit=500');
  t.equal(byAction.items.length, 4);
  t.ok(byAction.items.every((e) => e.action === 'case.read_sealed'));

  const denied = await events(`outcome=denied&caseId=${caseA}&limit=500`);
  t.equal(denied.items.length, 3);
  t.ok(denied.items.every((e) => e.outcome === 'denied' && e.caseId === caseA));

  const from = new Date(t0.getTime() + 3 * 60_000).toISOString();
  const to = new Date(t0.getTime() + 5 * 60_000).toISOString();
  const ranged = await events(`from=${from}&to=${to}&limit=500`);
  t.same(ranged.items.map((e) => e.requestId).sort(), ['req-case-2', 'req-case-3', 'req-case-4']);

  const combined = await events(`caseId=${caseA}&action=case.read&outcome=allowed&to=${t1.toISOString()}&limit=500`);
  t.ok(combined.items.length > 0);
  t.ok(combined.items.every((e) => e.caseId === caseA && e.action === 'case.read' && e.outcome === 'allowed'));
  t.equal(byCase.next, null, 'a last page says so');
});

t.test('keyset pagination: no duplicates, no gaps, in either order, while reads append events', async (t) => {
  const seen: number[] = [];
  let page = await events('limit=7');
  const top = page.items[0]!.seq;
  for (;;) {
    seen.push(...page.items.map((e) => e.seq));
    if (page.next === null) break;
    page = await events(`limit=7&after=${page.next}`);
  }
  const expected = (await T.database.sql`select seq from audit_log where seq <= ${top} order by seq desc`).map((r) => Number(r.seq));
  t.same(seen, expected, 'newest first, every event down to seq 1 exactly once');
  t.ok(seen.length > 20);

  const asc: number[] = [];
  let p = await events(`caseId=${caseA}&order=asc&limit=2`);
  for (;;) {
    asc.push(...p.items.map((e) => e.seq));
    if (p.next === null) break;
    p = await events(`caseId=${caseA}&order=asc&limit=2&after=${p.next}`);
  }
  const expectedAsc = (await T.database.sql`select seq from audit_log where case_id = ${caseA} order by seq`).map((r) => Number(r.seq));
  t.same(asc, expectedAsc);
  t.equal(asc.length, 6);
});

t.test('bad queries are refused with 400', async (t) => {
  for (const q of ['limit=501', 'limit=0', 'caseId=not-a-uuid', 'from=yesterday', 'order=sideways', 'after=-1', 'unknown=1']) {
    const r = await get(`/v1/audit/events?${q}`, sup);
    t.equal(r.statusCode, 400, q);
  }
});

t.test('the NDJSON export is the whole chain in seq order and verifies with the SDK', async (t) => {
  const r = await get('/v1/audit/export', sup);
  t.equal(r.statusCode, 200);
  t.match(r.headers['content-type'], /^application\/x-ndjson/);
  t.ok(r.body.endsWith('\n'));
  const lines = r.body.trimEnd().split('\n').map((l) => JSON.parse(l) as ChainedAuditEvent);
  const check = verifyChain(lines);
  t.ok(check.ok, 'the SDK accepts the export');
  const [head] = await T.database.sql`select seq, hash from audit_head`;
  t.equal(lines.length, Number(head!.seq), 'every event up to the head');
  const last = lines[lines.length - 1]!;
  t.same({ action: last.action, actor: last.actor, outcome: last.outcome }, { action: 'audit.read', actor: `u:${sup.id}`, outcome: 'allowed' }, 'the export ends with its own audit event');
  if (check.ok) t.equal(check.head.hash, last.hash);

  const filtered = await get(`/v1/audit/export?caseId=${caseB}`, sup);
  const fl = filtered.body.trimEnd().split('\n').map((l) => JSON.parse(l) as ChainedAuditEvent);
  t.equal(fl.length, 6);
  t.ok(fl.every((e) => e.caseId === caseB));
  t.same(fl.map((e) => e.seq), [...fl.map((e) => e.seq)].sort((a, b) => a - b), 'in seq order');
});

t.test('the signed head verifies with the published key and includes its own read', async (t) => {
  const r = await get('/v1/audit/head', sup);
  t.equal(r.statusCode, 200);
  const head = r.json();
  const keys = await loadServerKeys(T.config);
  t.equal(head.signingPublicKey, keys.audit.publicKey);
  t.ok(verifyCheckpoint(head, keys.audit.publicKey), 'verifyCheckpoint accepts it');
  t.notOk(verifyCheckpoint({ ...head, seq: head.seq - 1 }, keys.audit.publicKey), 'and not for another seq');
  const [row] = await T.database.sql`select seq, hash, action, actor from audit_log where seq = ${head.seq}`;
  t.equal(row!.hash, head.hash);
  t.same([row!.action, row!.actor], ['audit.read', `u:${sup.id}`]);
});

t.test('POST /v1/audit/verify recomputes the chain', async (t) => {
  const before = await readsBy(sup, 'audit.verify');
  const r = await app.inject({ method: 'POST', url: '/v1/audit/verify', headers: sup.auth() });
  t.equal(r.statusCode, 200);
  const body = r.json();
  t.equal(body.ok, true);
  t.equal(body.headMatches, true);
  const [head] = await T.database.sql`select seq, hash from audit_head`;
  t.same(body.head, { seq: Number(head!.seq), hash: head!.hash });
  t.equal(body.count, Number(head!.seq));
  t.equal(await readsBy(sup, 'audit.verify'), before + 1, 'the verification is audited');
});

t.test('officers, partners and admins get 403 on every audit route, and the attempt is audited; no token is 401', async (t) => {
  const routes = [
    { method: 'GET' as const, url: '/v1/audit/events', action: 'audit.read' },
    { method: 'GET' as const, url: '/v1/audit/export', action: 'audit.read' },
    { method: 'GET' as const, url: '/v1/audit/head', action: 'audit.read' },
    { method: 'POST' as const, url: '/v1/audit/verify', action: 'audit.verify' },
  ];
  for (const who of [officer, partner, dep.admin]) {
    for (const route of routes) {
      const before = await readsBy(who, route.action, 'denied');
      const r = await app.inject({ method: route.method, url: route.url, headers: who.auth() });
      t.equal(r.statusCode, 403, `${who.role} ${route.method} ${route.url}`);
      t.equal(r.json().code, 'forbidden');
      t.equal(await readsBy(who, route.action, 'denied'), before + 1, `${who.role}'s attempt is in the log`);
    }
  }
  for (const route of routes) {
    const r = await app.inject({ method: route.method, url: route.url });
    t.equal(r.statusCode, 401, `anonymous ${route.method} ${route.url}`);
  }
});

t.test('every read of the audit log is itself an audit event', async (t) => {
  for (const url of ['/v1/audit/events?limit=1', '/v1/audit/export?action=none.such', '/v1/audit/head']) {
    const before = await readsBy(sup);
    const r = await get(url, sup);
    t.equal(r.statusCode, 200, url);
    t.equal(await readsBy(sup), before + 1, `${url} recorded as audit.read, allowed`);
  }
  const [last] = await T.database.sql`select resource, role, request_id from audit_log where action = 'audit.read' order by seq desc limit 1`;
  t.same([last!.resource, last!.role], ['audit', 'supervisor']);
  t.ok(last!.request_id, 'tied to the request');
});
