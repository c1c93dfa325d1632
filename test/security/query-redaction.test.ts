/**
 * Query strings reach the logs with every request's URL: the value of a sensitive parameter
 * (token, access_token, receipt, code, key, and every name the log redaction list names) never
 * does, whatever the route answers (200, 400, 401, 404) and however the name is spelt; the other
 * parameters stay readable, so the logs still say what was asked.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap } from '../helpers/world.js';
import { REDACT_PATHS, redactQuery } from '../../src/lib/log-redaction.js';

const T = await buildTestApp(t);
const dep = await bootstrap(T);

/** Every field name the redaction list names (`*.authKey` -> authKey), as a client might send it in a query. */
const redactedFields = REDACT_PATHS.filter((p) => p.startsWith('*.')).map((p) => p.slice(2));
const names = [
  'token',
  'access_token',
  'receipt',
  'code',
  'key',
  ...redactedFields,
  // The same names spelt otherwise, and names that end with one.
  'TOKEN',
  'Access-Token',
  'accessToken',
  'refresh_token',
  'api_key',
  'x-api-key',
  'client_secret',
  'recovery_code',
  'token[]',
  '%74oken',
  'acc%65ss_token',
];

const markers: string[] = [];
const mark = () => {
  const m = `QS-${randomUUID()}`;
  markers.push(m);
  return m;
};

/** Requests that carry sensitive values in their query, through routes that answer differently. */
function urls(): Array<{ url: string; auth?: boolean }> {
  const out: Array<{ url: string; auth?: boolean }> = [];
  for (const name of names) {
    out.push({ url: `/healthz?${name}=${mark()}` }); // public, 200
    out.push({ url: `/v1/cases?limit=5&${name}=${mark()}&state=triage` }); // no token: 401
    out.push({ url: `/v1/notifications?${name}=${encodeURIComponent(mark())}`, auth: true }); // unknown parameter: 400
    out.push({ url: `/no/such/route?${name}=${mark()}` }); // 404
  }
  // A repeated parameter, a value with '=' in it, a name that does not decode.
  out.push({ url: `/healthz?token=${mark()}&token=${mark()}` });
  out.push({ url: `/healthz?receipt=${mark()}=${mark()}` });
  out.push({ url: `/healthz?%E0%A4%A=${mark()}` });
  return out;
}

t.test('no sensitive query value reaches the logs, whatever the answer', async (t) => {
  const requests = urls();
  const statuses = new Set<number>();
  for (const r of requests) {
    const res = await T.app.inject({ method: 'GET', url: r.url, ...(r.auth ? { headers: dep.admin.auth() } : {}) });
    statuses.add(res.statusCode);
  }
  t.same([...statuses].sort(), [200, 400, 401, 404], 'the requests were answered in four ways');

  const logs = T.logs.join('');
  const leaked = markers.filter((m) => logs.includes(m));
  t.same(leaked, [], 'no marker in the logs');

  // Control: the requests were logged, with their URLs, the values replaced.
  const logged = T.logs.map((l) => JSON.parse(l) as { req?: { url?: string } }).flatMap((l) => (l.req?.url ? [l.req.url] : []));
  t.ok(logged.includes('/healthz?token=[redacted]'), 'the URL is logged, its token replaced');
  t.ok(logged.includes('/v1/cases?limit=5&access_token=[redacted]&state=triage'), 'the other parameters stay as sent');
  t.ok(logged.includes('/healthz?%74oken=[redacted]'), 'an encoded name is recognised');
  t.ok(logged.includes('/healthz?token=[redacted]&token=[redacted]'), 'every occurrence of a repeated parameter');
});

t.test('redactQuery', async (t) => {
  t.equal(redactQuery('/v1/cases'), '/v1/cases', 'no query: unchanged');
  t.equal(redactQuery('/v1/cases?'), '/v1/cases?');
  t.equal(redactQuery('/v1/cases?limit=5&cursor=abc&keyId=k1'), '/v1/cases?limit=5&cursor=abc&keyId=k1', 'nothing sensitive: unchanged (keyId is not a key)');
  t.equal(redactQuery('/x?token'), '/x?token', 'a name without a value has nothing to hide');
  t.equal(redactQuery('/x?token=&a=1'), '/x?token=[redacted]&a=1');
  t.equal(redactQuery('/x?a+token=1'), '/x?a+token=[redacted]', '+ is a space in a name');
  t.equal(redactQuery('/x?%ZZ=secret'), '/x?%ZZ=[redacted]', 'a name that does not decode is hidden too');
  for (const name of ['token', 'access_token', 'receipt', 'code', 'key', ...redactedFields]) {
    t.equal(redactQuery(`/x?${name}=v`), `/x?${name}=[redacted]`, name);
  }
});
