import type { Queue } from 'bullmq';
import { loggableError } from '../src/lib/loggable-error.js';
import type { WorkerLogger } from '../src/lib/worker-logger.js';
import { every } from './periodic.js';

/** A repeatable job of a queue: its scheduler id, and how to create it. */
export interface KeptSchedule {
  queue: Pick<Queue, 'name' | 'getJobScheduler'>;
  id: string;
  create(): Promise<void>;
}

/**
 * Job schedulers (the audit checkpoint, the measure-expiry sweep) live in Redis only: after a
 * Redis loss (a flush, a failover to a replica without the data) they were gone until a worker
 * restarted, and with them the signed checkpoints and the expiry of measures (faults run,
 * test/faults). Like the reconciler for deadline jobs, the keeper re-creates what is missing,
 * at start and every `intervalMs`. It only reads while they exist: upserting an existing `every`
 * scheduler again would move its next run.
 */
export function startScheduleKeeper(deps: { schedules: KeptSchedule[]; log: WorkerLogger; intervalMs: number }): { close(): Promise<void> } {
  const pass = async () => {
    for (const s of deps.schedules) {
      try {
        if (await s.queue.getJobScheduler(s.id)) continue;
        await s.create();
        deps.log.warn({ queue: s.queue.name, scheduler: s.id }, 'job scheduler missing from Redis (flushed or lost?): created again');
      } catch (err) {
        deps.log.warn({ queue: s.queue.name, err: loggableError(err) }, 'cannot check the job scheduler; retrying on the next pass');
      }
    }
  };
  return every(deps.intervalMs, pass);
}
