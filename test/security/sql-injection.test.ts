/**
 * SQL injection: classic payloads through every string a request carries — each path
 * parameter, each query parameter, each string property of each documented body, and the
 * headers the service reads (Authorization, Content-Type, X-Forwarded-For) — as a role allowed
 * on the route. No 5xx, no SQL error text in the answer or the logs, nothing written on a
 * refusal (as in fuzz.test.ts, the audit log's tables excepted), and no payload's statement ever
 * runs: two payloads call nextval() on a canary sequence, which no transaction's rollback undoes,
 * so the sequence is still unused at the end (a proof that does not hang on timing as a pg_sleep
 * payload would). Queries are parameterised (drizzle, postgres.js); this proves it from the outside.
 * tools/sqlmap-scan.sh runs sqlmap against a running service for the same question.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { buildTestApp } from '../helpers/app.js';
import { loadAccessPolicy, ROLES, type Role } from '../../src/access/policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { buildWorld, type Who } from './access-matrix/world.js';
import { checkWriteLog, watchWrites } from './write-log.js';

const T = await buildTestApp(t, { env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const w = await buildWorld(T);
const sql = T.database.sql;
const policy = loadAccessPolicy(policiesPath(T.config));
const c = await w.newCase('protection');
// Sequences are not transactional: an injected nextval() would show even in a request rolled back.
const admin = postgres(T.db.adminUrl, { max: 1, onnotice: () => undefined });
t.teardown(() => admin.end({ timeout: 2 }));
await admin`create sequence injection_canary`;
await admin`grant usage, select on sequence injection_canary to public`;

const PAYLOADS = [
  "' OR '1'='1",
  "' OR 1=1--",
  '" OR ""="',
  "'; DROP TABLE cases;--",
  "1'; UPDATE users SET role='admin' WHERE '1'='1",
  "' UNION SELECT username, verifier FROM users--",
  "'||(SELECT nextval('injection_canary'))||'",
  "1); SELECT nextval('injection_canary');--",
  "' AND 1=CAST((SELECT version()) AS int)--",
  '\\x27; SELECT 1;--',
  "$$; SELECT 1; $$",
  "admin'--",
  `${randomUUID()}' OR '1'='1`,
];
/** What a database error looks like when it leaks. */
const SQL_ERROR = /syntax error at or near|unterminated quoted string|PostgresError|invalid input syntax for|relation "[^"]+" does not exist|column "[^"]+" does not exist|SQLSTATE|"42601"|"22P02"|Failed query/i;

const AUDIT_TABLES = new Set(['audit_events', 'audit_pending', 'audit_chain', 'audit_head', 'audit_checkpoints']);
/** Every write to any other table, logged as it commits (a trigger per table: test/security/write-log.ts). */
const writes = await watchWrites(t, T, (n) => AUDIT_TABLES.has(n));

interface Operation {
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content?: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }> };
}
const doc = (await T.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, Operation>> };
const idFor = (name: string): string => ({ caseId: c.id, orgId: w.dep.mechanismId, userId: w.officerB.id, queueName: 'deadline-steps' })[name] ?? randomUUID();

function callerOf(action: string): Who | null {
  const rule = policy.get(action)!;
  if (rule.public) return null;
  const role = ROLES.find((r) => rule.roles[r]) as Role;
  return { defender: c.defender, officer: w.officerA, supervisor: w.supervisor, partner: w.orgP.member, admin: w.admin }[role];
}

/** Every string in a body, by path, for replacement. */
function stringPaths(v: unknown, at: string[] = []): string[][] {
  if (typeof v === 'string') return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPaths(x, [...at, String(i)]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringPaths(x, [...at, k]));
  return [];
}
function replaced(body: unknown, path: string[], value: string): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let node = copy as Record<string, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

const SPENDING = new Set(['POST /v1/auth/logout', 'POST /v1/me/password']);
const routes = T.app.routeTable().filter((r) => !SPENDING.has(`${r.method} ${r.url}`) && !r.url.startsWith('/docs/static') && !r.url.startsWith('/admin/queues/static'));
for (const route of routes) {
  t.test(`${route.method} ${route.url}`, async (t) => {
    const op = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
    const media = op?.requestBody?.content?.['application/json'];
    const example = media?.example ?? Object.values(media?.examples ?? {})[0]?.value;
    const who = callerOf(route.action);
    const faults: string[] = [];
    let sent = 0;
    const url = (override: Record<string, string> = {}, query = '') => route.url.replace(/:(\w+)/g, (_m, n: string) => encodeURIComponent(override[n] ?? idFor(n))).replace('*', 'x') + query;

    // Where the write log stood after the last refused request: the next request starts from it
    // unless something wrote meanwhile (a request that succeeded, a session renewed).
    let known: string | null = null;
    async function send(what: string, opts: { url: string; body?: unknown; headers?: Record<string, string> }) {
      if (who) {
        const token = who.auth().authorization;
        await w.fresh(who);
        if (who.auth().authorization !== token) known = null;
      }
      const logsBefore = T.logs.length;
      const before = known ?? (await writes.mark());
      known = null;
      const res = await T.app.inject({ method: route.method as 'GET', url: opts.url, headers: { ...(who ? who.auth() : {}), ...opts.headers }, ...(opts.body !== undefined ? { payload: opts.body as object } : {}) });
      sent++;
      if (res.statusCode >= 500) faults.push(`${what}: ${res.statusCode} ${res.body.slice(0, 150)}`);
      if (SQL_ERROR.test(res.body) && !route.url.startsWith('/docs')) faults.push(`${what}: SQL text in the answer: ${res.body.slice(0, 150)}`);
      const logs = T.logs.slice(logsBefore).join('\n');
      const sqlLog = logs.split('\n').find((l) => SQL_ERROR.test(l));
      if (sqlLog) faults.push(`${what}: a SQL error in the logs: ${sqlLog.slice(0, 300)}`);
      if (res.statusCode >= 400) {
        known = await writes.mark();
        if (known !== before) faults.push(`${what}: refused (${res.statusCode}) but wrote ${(await writes.writtenSince(before)).join(', ')}`);
      }
    }

    for (const p of PAYLOADS) {
      for (const name of [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!)) await send(`:${name}`, { url: url({ [name]: p }), ...(example !== undefined ? { body: example } : {}) });
      for (const q of (op?.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name)) await send(`?${q}`, { url: url({}, `?${q}=${encodeURIComponent(p)}`) });
      if (example !== undefined) for (const path of stringPaths(example)) await send(`body ${path.join('.')}`, { url: url(), body: replaced(example, path, p) });
    }
    // Headers the service reads.
    for (const p of PAYLOADS.slice(0, 5)) {
      await send('Authorization', { url: url(), headers: { authorization: `Bearer ${p}` }, ...(example !== undefined ? { body: example } : {}) });
      await send('X-Forwarded-For', { url: url(), headers: { 'x-forwarded-for': p }, ...(example !== undefined ? { body: example } : {}) });
    }
    t.same(faults, [], 'no 5xx, no SQL error text, nothing written on refusal');
    t.ok(sent >= 10, `${sent} requests reached the route (at least the header payloads)`);
  });
}

t.test('every route was probed, and the data is intact', async (t) => {
  t.ok(routes.length > 50, `${routes.length} routes, each its own subtest above`);
  const [u] = await sql`select count(*)::int as n from users where role = 'admin'`;
  t.equal(u!.n, 1, 'still one admin');
  t.ok((await sql`select count(*)::int as n from cases`)[0]!.n > 0, 'the cases table is still there');
  const [canary] = await sql`select is_called from injection_canary`;
  t.equal(canary!.is_called, false, 'no injected statement ran: the canary sequence was never advanced');
  await sql`select nextval('injection_canary')`;
  const [control] = await sql`select is_called from injection_canary`;
  t.equal(control!.is_called, true, 'control: one nextval() shows');
});

t.test('the write log sees a write of the app role, and not one rolled back', async (t) => checkWriteLog(t, writes, T, { orgId: w.dep.mechanismId, userId: w.admin.id }));
