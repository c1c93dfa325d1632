import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config/config.js';
import type { Database } from '../src/db/client.js';
import type { Clock } from '../src/lib/clock.js';
import { policiesPath } from '../src/lib/paths.js';
import type { AuditService } from '../src/audit/audit-service.js';
import { createAccessService } from '../src/access/access-service.js';
import { createCaseParticipation } from '../src/access/case-participation.js';
import { loadBreakGlassPolicy } from '../src/access/break-glass-policy.js';
import { loadAccessPolicy } from '../src/access/policy.js';
import { createCaseRepository } from '../src/cases/case-repository.js';
import { loadCalendarPolicy, loadDeadlinePolicy } from '../src/deadlines/deadline-policy.js';
import { createDeadlineRepository } from '../src/deadlines/deadline-repository.js';
import { createOutbox } from '../src/outbox/outbox.js';
import { createDeadlineService } from '../src/deadlines/deadline-service.js';
import { loadIntakePolicy } from '../src/intake/intake-policy.js';
import { loadMeasureCatalogue } from '../src/measures/measure-catalogue.js';
import { createMeasureRepository } from '../src/measures/measure-repository.js';
import { createMeasureService, type MeasureService } from '../src/measures/measure-service.js';
import { createOrgRepository } from '../src/orgs/org-repository.js';
import { createQueue, queuePrefix, QUEUES, type JobName, type JobPayload, type JobResult, type TypedJob, type TypedQueue } from '../src/queues/registry.js';
import type { Logger } from '../src/lib/logger.js';

export const QUEUE = 'measure-expiry' as const;
/** One scheduler shared by every worker instance (as the audit checkpoint's); the job name is its id. */
export const SCHEDULER_ID = 'expire' satisfies JobName<typeof QUEUE>;
const EVERY_MS = 60_000;

/**
 * The measure service as a worker builds it, from the same policies as the API (POLICIES_DIR):
 * only `expireDue` is used here, but it is the one service that ends measures, so the worker
 * does not keep a second copy of the rules.
 */
export function createWorkerMeasureService(deps: { config: Pick<Config, 'POLICIES_DIR'>; database: Database; audit: Pick<AuditService, 'record'>; clock: Clock }): MeasureService {
  const dir = policiesPath(deps.config);
  const db = deps.database.db;
  const deadlinePolicy = loadDeadlinePolicy(dir);
  const calendar = loadCalendarPolicy(dir);
  const deadlineRepo = createDeadlineRepository(db);
  return createMeasureService({
    db,
    measures: createMeasureRepository(db),
    cases: createCaseRepository(db),
    orgs: createOrgRepository(db),
    deadlines: createDeadlineService({ repo: deadlineRepo, policy: deadlinePolicy, calendar }),
    deadlineRepo,
    outbox: createOutbox(),
    access: createAccessService({ policy: loadAccessPolicy(dir), audit: deps.audit }),
    audit: deps.audit,
    participation: createCaseParticipation({ db, policy: loadBreakGlassPolicy(dir), clock: deps.clock }),
    clock: deps.clock,
    catalogue: loadMeasureCatalogue(dir),
    deadlinePolicy,
    calendar,
    intake: loadIntakePolicy(dir),
  });
}

/** Runs the sweep every minute (a BullMQ job scheduler: several worker instances share one schedule). */
export async function scheduleMeasureExpiry(queue: TypedQueue<typeof QUEUE>, everyMs = EVERY_MS): Promise<void> {
  await queue.upsertJobScheduler(SCHEDULER_ID, { every: everyMs }, { name: 'expire', data: { trigger: 'schedule' }, opts: QUEUES[QUEUE].defaultJobOptions });
}

/**
 * Ends what time has ended, as of the worker's clock: active measures past their end date expire,
 * urgent-track measures unconfirmed after the confirmation window lapse (measure-ends.ts
 * `expireDue`: each in its own transaction, re-checked under the case lock, with timeline, audit,
 * notices, and the measure's remaining deadlines cancelled). A sweep run twice ends nothing twice.
 */
export function measureExpiryProcessor(deps: { measures: Pick<MeasureService, 'expireDue'>; clock: Clock; log: Logger }) {
  return async (job: TypedJob<typeof QUEUE>): Promise<JobResult<typeof QUEUE>> => {
    if (job.name !== 'expire') throw new UnrecoverableError(`unknown job ${String(job.name)} on ${QUEUE}`);
    const { expired, lapsed } = await deps.measures.expireDue(deps.clock.now());
    if (expired.length + lapsed.length > 0) deps.log.info({ queue: QUEUE, jobId: job.id, expired, lapsed }, 'measures ended by time');
    return { expired: expired.length, lapsed: lapsed.length };
  };
}

export interface RunningMeasureExpiry {
  queue: TypedQueue<typeof QUEUE>;
  worker: Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>;
  close(): Promise<void>;
}

/** Starts the measure-expiry worker and its schedule in a worker process. */
export async function startMeasureExpiry(deps: { config: Pick<Config, 'POLICIES_DIR' | 'REDIS_PREFIX'>; database: Database; connection: Redis; audit: Pick<AuditService, 'record'>; clock: Clock; log: Logger }): Promise<RunningMeasureExpiry> {
  const measures = createWorkerMeasureService(deps);
  const queue = createQueue(QUEUE, { connection: deps.connection, config: deps.config });
  queue.on('error', (err) => deps.log.warn({ queue: QUEUE, err: { message: err.message } }, 'queue error'));
  const worker = new Worker<JobPayload<typeof QUEUE>, JobResult<typeof QUEUE>, JobName<typeof QUEUE>>(QUEUE, measureExpiryProcessor({ measures, clock: deps.clock, log: deps.log }), {
    connection: deps.connection,
    prefix: queuePrefix(deps.config),
    concurrency: QUEUES[QUEUE].concurrency,
  });
  await scheduleMeasureExpiry(queue);
  return {
    queue,
    worker,
    async close() {
      await queue.close();
    },
  };
}
