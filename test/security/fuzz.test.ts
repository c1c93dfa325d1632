/**
 * Input fuzzing: for every route of the route table, requests made from its own schema
 * (the documented example body, real ids in the path) and then mutated: wrong types, missing and
 * extra properties, huge strings and arrays, deep nesting, unicode edge cases, bad UUIDs and
 * base64url, wrong content types, truncated and oversized bodies. Each is sent as a role allowed
 * to call the route, so that validation (not the role check) is what answers. The service must
 * never answer 5xx; every 4xx is a problem document with a stable `code`; and a refused request
 * writes nothing: no row of any table is inserted, updated or deleted, except in the audit log's
 * tables (a refusal is audited, access.md) — nothing else may move.
 *
 * fast-check drives the random part, seeded and bounded (FUZZ_SEED, FUZZ_RUNS) so that a failure
 * can be replayed and the file stays within about a minute.
 */
import t from 'tap';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { loadAccessPolicy, ROLES, type Role } from '../../src/access/policy.js';
import { policiesPath } from '../../src/lib/paths.js';
import { buildWorld, type Who } from './access-matrix/world.js';
import { checkWriteLog, watchWrites } from './write-log.js';
import { appendHeaders, ciphertextOf, created, creationHeaders, newUpload, TUS } from './access-matrix/files.js';

/** src/cases/case-rekey-routes.ts: a re-key carries every sealed item of a case. */
const REKEY_BODY_LIMIT = 32 * 1024 * 1024;
const SEED = Number(process.env.FUZZ_SEED ?? 20260701);
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);

// Every route fuzzed in one file: minutes on a loaded machine, beyond the suite's default per-file timeout.
t.setTimeout(600_000);
const T = await buildTestApp(t, { env: { REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600) } });
const w = await buildWorld(T);
const policy = loadAccessPolicy(policiesPath(T.config));
const c = await w.newCase('protection');
// Evidence files are sent to a case of their own, made now: the routes fuzzed before may close the shared one.
const filesCase = await w.newCase('triage');

// --- what "nothing written" means -----------------------------------------------------------

/** The audit log's own tables: a refusal is written there by design (and the chain advances). */
const AUDIT_TABLES = new Set(['audit_events', 'audit_pending', 'audit_chain', 'audit_head', 'audit_checkpoints']);
/** Every write to any other table, logged as it commits (a trigger per table: test/security/write-log.ts). */
const writes = await watchWrites(t, T, (n) => AUDIT_TABLES.has(n) || n.startsWith('__drizzle'));

// --- routes, their schemas and a caller ----------------------------------------------------

interface Operation {
  parameters?: Array<{ in: string; name: string; schema: Record<string, unknown> }>;
  requestBody?: { content?: Record<string, { schema?: Schema; example?: unknown; examples?: Record<string, { value: unknown }> }> };
}
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  pattern?: string;
  format?: string;
}
const doc = (await T.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, Operation>> };
const opOf = (method: string, url: string): Operation | undefined => doc.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];

/** Real ids where a route names one (the shared case, the mechanism), a fresh UUID otherwise. */
const idFor = (name: string): string => ({ caseId: c.id, orgId: w.dep.mechanismId, userId: w.officerB.id, queueName: 'deadline-steps' })[name] ?? randomUUID();
/** Percent-encoding that also takes lone surrogates: sent as the invalid UTF-8 a hostile client would send. */
const pct = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};
const fillUrl = (url: string, override: Record<string, string> = {}) => url.replace(/:(\w+)/g, (_m, name: string) => pct(override[name] ?? idFor(name))).replace('*', 'x');

function callerOf(action: string): Who | null {
  const rule = policy.get(action)!;
  if (rule.public) return null;
  const role = ROLES.find((r) => rule.roles[r]) as Role;
  return { defender: c.defender, officer: w.officerA, supervisor: w.supervisor, partner: w.orgP.member, admin: w.admin }[role];
}

/**
 * Spending routes: a valid variant would end the caller's session or account and every request
 * after it would only test 401. They are fuzzed with a caller of their own.
 */
const SPENDING = new Set(['POST /v1/auth/logout', 'POST /v1/me/sessions/revoke', 'POST /v1/me/password']);

// --- the mutations ----------------------------------------------------------------------------

const HUGE = 'A'.repeat(200_000);
const UNICODE = ['\u0000', '\ud800', '\udfff', '\u202e\u0645\u0631\u062d\u0628\u0627', 'e\u0301', '\ufeff', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '🏳️‍🌈'.repeat(50), '\u2028\u2029', 'Ａ１'];
const BAD_IDS = ['not-a-uuid', '00000000-0000-0000-0000-00000000000', `${randomUUID()}x`, '../../etc/passwd', '%00', "1' OR '1'='1", '\u0000', '-1', 'A'.repeat(5000)];
const BAD_B64U = ['AAAA====', 'a+b/c', 'é', '', ' ', 'v1.', 'v1.!!!.???', `v1.${'A'.repeat(10)}`, 'A'.repeat(10_000)];
const deep = (n: number): unknown => (n === 0 ? 'x' : { a: deep(n - 1) });
const deepArray = (n: number): unknown => (n === 0 ? [] : [deepArray(n - 1)]);

type Body = Record<string, unknown>;
/** Every property path of an object (keys may hold dots, e.g. `threats.0.facts`), for the per-property mutations. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value as Body).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}
function setAt(body: Body, keys: string[], value: unknown): Body {
  const copy = structuredClone(body);
  let node = copy as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  if (value === DELETE) delete node[keys.at(-1)!];
  else node[keys.at(-1)!] = value;
  return copy;
}
const DELETE = Symbol('delete');

/** The deterministic mutations of one valid body. */
function mutationsOf(body: Body): Array<{ what: string; body: unknown }> {
  const out: Array<{ what: string; body: unknown }> = [
    { what: 'an array instead of the object', body: [body] },
    { what: 'a string instead of the object', body: 'x' },
    { what: 'null', body: null },
    { what: 'an extra property', body: { ...body, isAdmin: true } },
    { what: 'a __proto__ property', body: JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(body).slice(1)}`.replace(/, }$/, '}')) },
    { what: 'deep nesting', body: { ...body, nested: deep(2000) } },
    { what: 'a deep array', body: { ...body, nested: deepArray(2000) } },
    { what: 'a huge array', body: { ...body, list: Array.from({ length: 50_000 }, () => 1) } },
  ];
  for (const path of paths(body)) {
    const p = path.join('/');
    out.push({ what: `${p} missing`, body: setAt(body, path, DELETE) });
    out.push({ what: `${p} a number`, body: setAt(body, path, 12345) });
    out.push({ what: `${p} an object`, body: setAt(body, path, { $gt: '' }) });
    out.push({ what: `${p} huge`, body: setAt(body, path, HUGE) });
    out.push({ what: `${p} with a NUL`, body: setAt(body, path, 'a\u0000b') });
    out.push({ what: `${p} a lone surrogate`, body: setAt(body, path, 'a\ud800b') });
  }
  return out;
}

/** Random replacement values for one property: any JSON, odd unicode, bad ids and base64url. */
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...UNICODE, ...BAD_IDS, ...BAD_B64U),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.constantFrom(...UNICODE, ...BAD_IDS), { maxLength: 40 }),
);

// --- the tus protocol's headers --------------------------------------------------------------

const BAD_HEADER_VALUES = ['', ' ', '-1', '0', '007', '1.5', '1e3', '99999999999999999999', 'A'.repeat(10_000), 'é', 'null', "1' OR '1'='1"];
const b64 = (v: string) => Buffer.from(v).toString('base64');

/** Requests on a tus route made from a valid one by the defender (on an upload of theirs), one header or the body changed. */
async function tusMutations(method: string): Promise<Array<{ what: string; url: string; headers: Record<string, string>; raw?: Buffer; contentType?: string; as: Who }>> {
  const c = filesCase;
  const u = await created(w, c, c.defender);
  const creation = creationHeaders(newUpload(c));
  const valid: Record<string, string> = method === 'POST' ? creation : method === 'PATCH' ? { ...appendHeaders } : { ...TUS };
  // Each creation declares a new file id, so that one that passed does not turn the next into a duplicate.
  const renamed = (headers: Record<string, string>): Record<string, string> => {
    if (method !== 'POST' || headers['upload-metadata'] !== creation['upload-metadata']) return headers;
    return { ...headers, 'upload-metadata': creationHeaders(newUpload(c))['upload-metadata']! };
  };
  const url = method === 'POST' ? '/v1/uploads' : `/v1/uploads/${u.fileId}`;
  const raw = method === 'PATCH' ? await ciphertextOf(u) : undefined;
  const out: Array<{ what: string; url: string; headers: Record<string, string>; raw?: Buffer; contentType?: string; as: Who }> = [];
  const add = (what: string, headers: Record<string, string>, body = raw) => out.push({ what, url, headers: renamed(headers), as: c.defender, ...(body ? { raw: body } : {}), ...(headers['content-type'] ? { contentType: headers['content-type'] } : {}) });
  for (const name of [...Object.keys(valid), 'upload-defer-length', 'upload-concat', 'x-forwarded-proto', 'tus-version', 'upload-offset', 'upload-length']) {
    const { [name]: _dropped, ...without } = valid;
    if (name in valid) add(`${name} missing`, without);
    for (const bad of BAD_HEADER_VALUES) add(`${name}: ${JSON.stringify(bad).slice(0, 20)}`, { ...valid, [name]: bad });
  }
  add('upload-defer-length: 1', { ...valid, 'upload-defer-length': '1' });
  add('upload-concat: partial', { ...valid, 'upload-concat': 'partial' });
  add('upload-concat: final', { ...valid, 'upload-concat': `final;/v1/uploads/${u.fileId}` });
  if (method === 'POST') {
    const meta = (pairs: string) => ({ ...creation, 'upload-metadata': pairs });
    const caseId = `caseId ${b64(c.id)}`;
    const key = creation['upload-metadata']!.split(',')[2]!;
    const upper = randomUUID().toUpperCase();
    for (const [what, pairs] of [
      ['metadata without fileId', `${caseId},${key}`],
      ['metadata with an empty fileId', `${caseId},fileId,${key}`],
      ['metadata with a bad UUID', `${caseId},fileId ${b64('not-a-uuid')},${key}`],
      ['metadata with a repeated key', `${caseId},${caseId},fileId ${b64(randomUUID())},${key}`],
      ['metadata with a name in the clear', `${caseId},fileId ${b64(randomUUID())},${key},filename ${b64('secret.jpg')}`],
      ['metadata with a key not sealed', `${caseId},fileId ${b64(randomUUID())},key ${b64('not sealed')}`],
      ['metadata with keyEpoch 0', `${caseId},fileId ${b64(randomUUID())},${key},keyEpoch ${b64('0')}`],
      ['metadata with a huge keyEpoch', `${caseId},fileId ${b64(randomUUID())},${key},keyEpoch ${b64('9999999999')}`],
      ['metadata that is not base64', `${caseId},fileId !!!,${key}`],
      ['metadata of another case', `caseId ${b64(randomUUID())},fileId ${b64(randomUUID())},${key}`],
      ['metadata with an upper-case file id', `${caseId},fileId ${b64(upper)},${key}`],
    ] as const) add(what, meta(pairs));
  }
  if (method === 'PATCH') {
    add('more bytes than the upload holds', valid, Buffer.concat([raw!, Buffer.alloc(10)]));
    add('an offset past the bytes stored', { ...valid, 'upload-offset': '10' });
    add('an empty body', valid, Buffer.alloc(0));
    add('a JSON body', { ...valid, 'content-type': 'application/json' }, Buffer.from('{}'));
  }
  return out;
}

// --- the run ---------------------------------------------------------------------------------

const problemOk = (res: { statusCode: number; headers: Record<string, unknown>; body: string }, method: string): string | null => {
  if (res.statusCode >= 500) return `server error ${res.statusCode}: ${res.body.slice(0, 200)}`;
  if (res.statusCode < 400) return null;
  if (!String(res.headers['content-type'] ?? '').startsWith('application/problem+json')) return `not a problem document (${String(res.headers['content-type'])}): ${res.body.slice(0, 100)}`;
  // A HEAD answer has no body (RFC 9110 §9.3.2): its type says it is a problem, its code is not sent.
  if (method === 'HEAD') return res.body === '' ? null : 'a HEAD answer with a body';
  try {
    const code = (JSON.parse(res.body) as { code?: unknown }).code;
    return typeof code === 'string' && code.length > 0 ? null : 'a problem without a code';
  } catch {
    return 'a problem document that is not JSON';
  }
};

const routes = T.app.routeTable().filter((r) => !SPENDING.has(`${r.method} ${r.url}`));
let sent = 0;

for (const route of routes) {
  const key = `${route.method} ${route.url}`;
  t.test(key, async (t) => {
    const op = opOf(route.method, route.url);
    const media = op?.requestBody?.content?.['application/json'];
    const examples = [...(media?.example !== undefined ? [media.example] : []), ...Object.values(media?.examples ?? {}).map((e) => e.value)] as Body[];
    const hasBody = examples.length > 0;
    const who = callerOf(route.action);
    const faults: string[] = [];

    // Where the write log stood after the last refused request: the next request starts from it
    // unless something else wrote meanwhile (a request that succeeded, a session renewed, an
    // upload made for the next probes), which is one query per request instead of two.
    let known: string | null = null;
    async function send(what: string, opts: { url?: string; body?: unknown; raw?: string | Buffer; contentType?: string; headers?: Record<string, string>; as?: Who }) {
      const caller = opts.as ?? who;
      if (caller) {
        const token = caller.auth().authorization;
        await w.fresh(caller);
        if (caller.auth().authorization !== token) known = null;
      }
      const headers: Record<string, string> = { ...(caller ? caller.auth() : {}), ...opts.headers };
      if (opts.contentType) headers['content-type'] = opts.contentType;
      const before = known ?? (await writes.mark());
      known = null;
      const res = await T.app.inject({
        method: route.method as 'GET',
        url: opts.url ?? fillUrl(route.url),
        headers,
        ...(opts.raw !== undefined ? { payload: opts.raw } : opts.body !== undefined ? { payload: JSON.stringify(opts.body), headers: { 'content-type': 'application/json', ...headers } } : {}),
      });
      sent++;
      const fault = problemOk(res, route.method);
      if (fault) faults.push(`${what}: ${fault}`);
      if (res.statusCode >= 400) {
        const after = await writes.mark();
        known = after;
        if (after !== before) faults.push(`${what}: refused (${res.statusCode}) but wrote ${(await writes.writtenSince(before)).join(', ')}`);
      }
      return res;
    }

    // Path parameters: bad ids and odd text in each.
    for (const name of [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!)) {
      for (const bad of [...BAD_IDS, ...UNICODE.slice(0, 4)]) {
        await send(`:${name} = ${JSON.stringify(bad).slice(0, 30)}`, { url: fillUrl(route.url, { [name]: bad }), ...(hasBody ? { body: examples[0] } : {}) });
      }
    }
    // Query strings: each documented parameter with bad values, an unknown one, a huge one, repeated ones.
    const query = (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    for (const q of [...query, 'unknown']) {
      for (const bad of ['', HUGE.slice(0, 5000), ...BAD_IDS.slice(0, 4), UNICODE[1]!, '-1', '1e9']) {
        await send(`?${q}=${bad.slice(0, 20)}`, { url: `${fillUrl(route.url)}?${pct(q)}=${pct(bad)}`, ...(hasBody ? { body: examples[0] } : {}) });
      }
    }
    if (query.length > 0) await send('a repeated parameter', { url: `${fillUrl(route.url)}?${query[0]}=1&${query[0]}=2` });

    if (route.method !== 'GET') {
      // Content types and framing: wrong type 415, truncated 400, over the limit 413.
      const json = JSON.stringify(examples[0] ?? {});
      const wrongType = await send('text/plain', { raw: json, contentType: 'text/plain' });
      const form = await send('a form', { raw: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' });
      const truncated = await send('truncated JSON', { raw: json.slice(0, Math.max(1, Math.floor(json.length / 2))), contentType: 'application/json' });
      // The re-key and the receipt re-issue take a larger body of their own (every sealed item of a case): over it as well.
      const limit = route.url.endsWith('/rekey') || route.url.endsWith('/receipt') ? Math.max(T.config.BODY_LIMIT, REKEY_BODY_LIMIT) : T.config.BODY_LIMIT;
      const tooBig = await send('over the body limit', { raw: `{"x":"${'A'.repeat(limit + 16)}"}`, contentType: 'application/json' });
      await send('JSON with a charset nobody speaks', { raw: json, contentType: 'application/json; charset=utf-7' });
      await send('an empty JSON body', { raw: '', contentType: 'application/json' });
      if (hasBody && !route.url.startsWith('/admin/queues')) {
        t.equal(wrongType.statusCode, 415, 'a text/plain body: 415');
        t.equal(form.statusCode, 415, 'a form body: 415');
        t.equal(truncated.statusCode, 400, 'truncated JSON: 400');
        t.equal(tooBig.statusCode, 413, 'over the limit: 413');
      }
    }

    if (hasBody) {
      for (const example of examples) for (const m of mutationsOf(example)) await send(m.what, { body: m.body });
      // Random: a property of the example replaced by an odd value, or an odd value as the whole body.
      const props = paths(examples[0]);
      const samples = fc.sample(fc.tuple(fc.nat(), oddValue, fc.boolean()), { seed: SEED + sent, numRuns: RUNS });
      for (const [i, value, whole] of samples) {
        const body = whole || props.length === 0 ? value : setAt(examples[0]!, props[i % props.length]!, value);
        await send(`random ${JSON.stringify(body).slice(0, 60)}`, { body });
      }
    }

    // The tus routes: each protocol header of a valid request (on an upload of the caller's) mutated, and PATCH bodies that do not fit.
    if (route.url.startsWith('/v1/uploads')) {
      const mutations = await tusMutations(route.method);
      known = null;
      for (const m of mutations) await send(m.what, m);
    }

    t.same(faults, [], `${key}: no 5xx, problem documents only, nothing written on refusal`);
  });
}

t.test('the fuzzer sent enough to mean something', async (t) => {
  t.ok(sent > 3000, `${sent} requests over ${routes.length} routes (seed ${SEED})`);
});

t.test('the write log sees a write of the app role, and not one rolled back', async (t) => checkWriteLog(t, writes, T, { orgId: w.dep.mechanismId, userId: w.admin.id }));
