/**
 * The admins' health report beyond readiness: each queue's jobs by state, the age of the audit
 * chain's last signed checkpoint (old: a warning, the workers may not run), the running version
 * and the hash of the console build the service serves.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { buildTestApp } from '../helpers/app.js';
import { bootstrap, refreshIfStale } from '../helpers/world.js';
import { queueNames } from '../../src/queues/registry.js';

const T = await buildTestApp(t);
const dep = await bootstrap(T);
const report = async () => {
  await refreshIfStale(T, dep.admin);
  const r = await T.app.inject({ method: 'GET', url: '/v1/admin/health', headers: dep.admin.auth() });
  t.equal(r.statusCode, 200);
  return r.json();
};

t.test('queues, version and build are reported; an old checkpoint is a warning', async (t) => {
  const first = await report();
  t.same(first.queues.map((q: { name: string }) => q.name), queueNames, 'every queue of the registry');
  for (const q of first.queues) t.ok([q.waiting, q.active, q.delayed, q.failed].every((n) => Number.isInteger(n) && n >= 0), `${q.name}: counts read from Redis`);
  t.equal(first.version, (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  t.ok(first.webBuild === null || /^[0-9a-f]{64}$/.test(first.webBuild), 'the build hash, or null when not built');
  t.equal(first.auditCheckpointAgeSeconds, null, 'no checkpoint yet');
  t.equal(first.auditCheckpointStale, false);

  await T.database.sql`insert into audit_checkpoints (seq, hash, signature, signed_at) values (1, 'h', 's', ${T.clock.now().toISOString()}::timestamptz)`;
  t.equal((await report()).auditCheckpointAgeSeconds, 0);
  T.clock.advance(3600 * 1000);
  const late = await report();
  t.equal(late.auditCheckpointAgeSeconds, 3600);
  t.equal(late.auditCheckpointStale, true);
  t.ok(late.warnings.some((w: string) => /audit checkpoint/.test(w)), 'said in the warnings too');
});
