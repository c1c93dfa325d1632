import { loggableError } from '../src/lib/loggable-error.js';
import type { AuditService } from '../src/audit/audit-service.js';
import type { WorkerLogger } from '../src/lib/worker-logger.js';
import { every } from './periodic.js';

/**
 * Gives committed audit events their place in the hash chain, every `intervalMs`. Not a queue
 * job: it needs no Redis, and any number of workers may run it at once (the database
 * serialises them on the chain head), so a Redis outage never delays the audit chain.
 */
export function startAuditChainer(deps: { audit: Pick<AuditService, 'chain' | 'requeueUnchained' | 'serverStartedAt'>; log: WorkerLogger; intervalMs: number; restartCheckEvery?: number }): { close(): Promise<void> } {
  // The queue is unlogged: after a crash of PostgreSQL it is empty, and events committed before
  // the crash but not chained yet would wait for the next worker start. So it is rebuilt here
  // before the first pass, and again whenever the server's start time changes (checked after
  // each outage, and every `restartCheckEvery` passes for a restart no pass saw fail).
  let serverStart: string | null = null;
  let requeueDue = true;
  let passes = 0;
  const restartCheckEvery = deps.restartCheckEvery ?? 40;
  const requeueIfRestarted = async () => {
    const started = await deps.audit.serverStartedAt();
    if (serverStart !== null && started !== serverStart) requeueDue = true;
    serverStart = started;
    if (!requeueDue) return;
    const n = await deps.audit.requeueUnchained();
    requeueDue = false;
    if (n > 0) deps.log.warn({ requeued: n }, 'audit events without a place in the chain were queued again (PostgreSQL restarted or crashed)');
  };
  let failing = false;
  const first = requeueIfRestarted().catch((err: Error) => {
    failing = true;
    deps.log.warn({ err: loggableError(err) }, 'audit requeue failed; retried on the next pass');
  });
  const tick = async () => {
    try {
      if (failing || requeueDue || ++passes % restartCheckEvery === 0) await requeueIfRestarted();
      const n = await deps.audit.chain();
      if (failing) deps.log.info('audit chainer recovered');
      failing = false;
      if (n > 0) deps.log.debug({ chained: n }, 'audit events chained');
    } catch (err) {
      if (!failing) deps.log.warn({ err: loggableError(err) }, 'audit chainer cannot reach the database; retrying');
      failing = true;
    }
  };
  // The first pass waits for the requeue above: it must not chain past events still to be queued.
  const loop = every(deps.intervalMs, () => first.then(tick));
  return {
    async close() {
      await loop.close();
      await first;
    },
  };
}
