import t from 'tap';
import { UnrecoverableError } from 'bullmq';
import { pino } from 'pino';
import { systemContext } from '../../src/access/principal.js';
import { createAuditRepository } from '../../src/audit/audit-repository.js';
import { createAuditService } from '../../src/audit/audit-service.js';
import { createDatabase } from '../../src/db/client.js';
import { systemClock } from '../../src/lib/clock.js';
import { loadServerKeys } from '../../src/lib/server-keys.js';
import { createQueue, createQueueConnection, queuePrefix } from '../../src/queues/registry.js';
import { verifyCheckpoint, type SignedCheckpoint } from '../../src/sdk/index.js';
import { auditCheckpointProcessor, SCHEDULER_ID } from '../../workers/audit-checkpoint.js';
import { startWorkers } from '../../workers/worker.js';
import { REDIS_URL, testConfig, testRedisPrefix } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { hostPort, startTcpProxy, throughProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The worker's first queue: a job scheduler signs the audit chain head every
 * AUDIT_CHECKPOINT_INTERVAL_SECONDS; the stored checkpoint verifies with the SDK against the
 * published key, and the worker carries on by itself after PostgreSQL and Redis come back.
 */
const db = await createTestDatabase();
const prefix = await testRedisPrefix(t);
const pgProxy = await startTcpProxy(hostPort(db.url, 5432));
const redisProxy = await startTcpProxy(hostPort(REDIS_URL, 6379));
const config = await testConfig({ DATABASE_URL: db.url, REDIS_URL, REDIS_PREFIX: prefix, AUDIT_CHECKPOINT_INTERVAL_SECONDS: '1', LOG_LEVEL: 'silent' });
const keys = await loadServerKeys(config);
const database = createDatabase(db.url, { max: 2 });
const audit = createAuditService({ repo: createAuditRepository(database.db), clock: systemClock, signingSecretKey: keys.audit.secretKey });
const log = pino({ level: 'silent' });
/** The workers' own log lines (debug and up): the test waits on what they report, never on the clock. */
const workerLines: string[] = [];
const workerLog = pino({ level: 'debug' }, { write: (line: string) => void workerLines.push(line) });
// The workers reach PostgreSQL and Redis through proxies the test can cut. Their pool is passed
// in only so teardown can end it at once (postgres.js' graceful end can wait its whole timeout
// for a connection reset under it: porsager/postgres#1130).
const workerDatabase = createDatabase(throughProxy(db.url, pgProxy), { max: 2 });
const workers = await startWorkers({ config: { ...config, REDIS_URL: throughProxy(REDIS_URL, redisProxy) }, database: workerDatabase, logger: workerLog });
t.teardown(async () => {
  await pgProxy.restore();
  await redisProxy.restore();
  await workers.close();
  await workerDatabase.sql.end({ timeout: 0 });
  await database.close();
  await pgProxy.close();
  await redisProxy.close();
  await db.drop();
});

async function record(n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) await audit.record(systemContext(`${tag}-${i}`), { action: 'test.event', resource: `test:${tag}`, outcome: 'allowed' });
}

/** Waits until the newest stored checkpoint is at `seq`. */
async function checkpointAt(seq: number, timeoutMs = 10_000): Promise<SignedCheckpoint & { signedAt: Date }> {
  const repo = createAuditRepository(database.db);
  return waitFor(async () => {
    const latest = await repo.latestCheckpoint();
    return latest && latest.seq === seq ? latest : null;
  }, { what: `a checkpoint at seq ${seq}`, timeoutMs, everyMs: 100 });
}

t.test('one job scheduler, under the REDIS_PREFIX, every AUDIT_CHECKPOINT_INTERVAL_SECONDS', async (t) => {
  const connection = createQueueConnection(REDIS_URL, 'producer');
  const queue = createQueue('audit-checkpoint', { connection, config });
  try {
    const schedulers = await queue.getJobSchedulers();
    t.equal(schedulers.length, 1);
    t.match(schedulers[0], { key: SCHEDULER_ID, every: 1000 });
    const keys = await connection.keys(`${queuePrefix(config)}:audit-checkpoint:*`);
    t.ok(keys.length > 0, 'the queue keys live under the test prefix');
    t.ok(queuePrefix(config).startsWith(`${prefix}:`));
  } finally {
    await queue.close();
    connection.disconnect();
  }
});

t.test('a stored checkpoint signs the head and verifies with the SDK', async (t) => {
  await record(3, 'first');
  // Events take their place in the chain right after commit (the worker's chainer does it too).
  await createAuditRepository(database.db).chainPending();
  const head = await createAuditRepository(database.db).head();
  t.equal(head.seq, 3);
  const stored = await checkpointAt(head.seq);
  t.equal(stored.hash, head.hash);
  const checkpoint = { seq: stored.seq, hash: stored.hash, signature: stored.signature };
  t.ok(verifyCheckpoint(checkpoint, keys.audit.publicKey), 'verifies under the published audit key');
  const other = await loadServerKeys(await testConfig());
  t.notOk(verifyCheckpoint(checkpoint, other.audit.publicKey), 'does not verify under another key');
  t.notOk(verifyCheckpoint({ ...checkpoint, seq: checkpoint.seq - 1 }, keys.audit.publicKey), 'is bound to its seq');
});

t.test('after PostgreSQL and Redis were both down, the worker checkpoints again without a restart', async (t) => {
  await pgProxy.cut();
  await redisProxy.cut();
  const seen = workerLines.length;
  await record(2, 'during-outage');
  // The outage is felt before it ends: the workers report losing Redis.
  await waitFor(() => workerLines.slice(seen).some((l) => l.includes('redis connection error')), { what: 'the workers to report the lost Redis connection' });
  await pgProxy.restore();
  await redisProxy.restore();
  // Events take their place in the chain right after commit (the worker's chainer does it too).
  await createAuditRepository(database.db).chainPending();
  const head = await createAuditRepository(database.db).head();
  t.equal(head.seq, 5);
  const stored = await checkpointAt(head.seq, 15_000);
  t.ok(verifyCheckpoint({ seq: stored.seq, hash: stored.hash, signature: stored.signature }, keys.audit.publicKey));
});

t.test('an unknown job fails for good (UnrecoverableError), an unchanged head stores nothing', async (t) => {
  const process = auditCheckpointProcessor({ audit, log });
  await t.rejects(process({ name: 'bogus', id: 'x' } as never), UnrecoverableError);
  const before = await createAuditRepository(database.db).latestCheckpoint();
  t.same(await process({ name: 'checkpoint', id: 'y' } as never), { seq: null }, 'head already checkpointed');
  t.same(await createAuditRepository(database.db).latestCheckpoint(), before);
});
