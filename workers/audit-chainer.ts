import { loggableError } from '../src/lib/loggable-error.js';
import type { AuditService } from '../src/audit/audit-service.js';
import type { WorkerLogger } from './worker.js';

/**
 * Gives committed audit events their place in the hash chain, every `intervalMs`. Not a queue
 * job: it needs no Redis, and any number of workers may run it at once (the database
 * serialises them on the chain head), so a Redis outage never delays the audit chain.
 */
export function startAuditChainer(deps: { audit: Pick<AuditService, 'chain' | 'requeueUnchained'>; log: WorkerLogger; intervalMs: number }): { close(): Promise<void> } {
  let stopped = false;
  // The queue is unlogged: after a crash it is empty, and rebuilt here before the first pass.
  let running: Promise<void> = deps.audit.requeueUnchained().then(
    (n) => {
      if (n > 0) deps.log.warn({ requeued: n }, 'audit events without a place in the chain were queued again (after a crash?)');
    },
    (err: Error) => deps.log.warn({ err: loggableError(err) }, 'audit requeue failed; the next chainer start retries'),
  );
  let failing = false;
  const tick = async () => {
    try {
      const n = await deps.audit.chain();
      if (failing) deps.log.info('audit chainer recovered');
      failing = false;
      if (n > 0) deps.log.debug({ chained: n }, 'audit events chained');
    } catch (err) {
      if (!failing) deps.log.warn({ err: loggableError(err) }, 'audit chainer cannot reach the database; retrying');
      failing = true;
    }
  };
  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(tick);
  }, deps.intervalMs);
  timer.unref();
  return {
    async close() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
