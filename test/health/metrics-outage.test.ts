import t from 'tap';
import { queueNames } from '../../src/queues/registry.js';
import { startAppBehindProxies } from '../helpers/app-behind-proxies.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * /metrics is what tells an operator that PostgreSQL or Redis is gone, so it must keep answering
 * while they are: the scrape is a 200 with `egide_database_up 0` (and no stale figure from
 * PostgreSQL) or `egide_queue_up 0` per queue, and the figures come back with the servers. The
 * outage is a TCP proxy between the app and the real servers, cut and restored by the test.
 */
const { app, config, pgProxy, redisProxy } = await startAppBehindProxies(t);

/** The samples of a scrape, `name{labels}` -> value; the scrape must answer 200 whatever is down. */
async function scrape(): Promise<Map<string, number>> {
  const r = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${config.METRICS_TOKEN}` } });
  if (r.statusCode !== 200) throw new Error(`/metrics answered ${r.statusCode}`);
  return new Map(
    r.body
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))] as const),
  );
}

const FROM_POSTGRES = ['egide_deadlines_overdue_unescalated', 'egide_outbox_pending', 'egide_audit_unchained_events', 'egide_outbox_oldest_pending_seconds'];

/** Scrapes until `ready` holds of the samples (the pools notice an outage and a return on their own time). */
const until = (what: string, ready: (s: Map<string, number>) => boolean) =>
  waitFor(async () => {
    const s = await scrape();
    return ready(s) ? s : null;
  }, { what, everyMs: 100 });

t.test('both up: PostgreSQL and every queue readable', async (t) => {
  const s = await until('both up', (x) => x.get('egide_database_up') === 1);
  for (const name of FROM_POSTGRES) t.equal(s.get(name), 0, `${name} read`);
  for (const queue of queueNames) t.equal(s.get(`egide_queue_up{queue="${queue}"}`), 1, `${queue}: readable`);
});

t.test('PostgreSQL down: the scrape answers, says so, and shows no stale figure; then recovers', async (t) => {
  await pgProxy.cut();
  const down = await until('egide_database_up 0', (x) => x.get('egide_database_up') === 0);
  for (const name of FROM_POSTGRES) t.notOk(down.has(name), `${name}: no sample while PostgreSQL does not answer`);
  t.equal(down.get('egide_queue_up{queue="deadline-steps"}'), 1, 'Redis still read');
  t.ok((down.get('egide_evidence_store_free_bytes') ?? 0) > 0, 'the disk still read');
  await pgProxy.restore();
  const up = await until('egide_database_up 1', (x) => x.get('egide_database_up') === 1);
  for (const name of FROM_POSTGRES) t.equal(up.get(name), 0, `${name} read again`);
});

t.test('Redis down: every queue reported down, PostgreSQL figures still read; then recovers', async (t) => {
  await redisProxy.cut();
  const down = await until('egide_queue_up 0', (x) => queueNames.every((q) => x.get(`egide_queue_up{queue="${q}"}`) === 0));
  t.equal(down.get('egide_database_up'), 1);
  t.notOk([...down.keys()].some((k) => k.startsWith('egide_queue_jobs{')), 'no stale job counts');
  await redisProxy.restore();
  await until('egide_queue_up 1', (x) => queueNames.every((q) => x.get(`egide_queue_up{queue="${q}"}`) === 1));
});
