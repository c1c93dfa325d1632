import type { NewAuditRow } from './audit-repository.js';

/**
 * Group commit for audit events that belong to no transaction of their own: reads and refusals.
 * Each caller waits until its event is committed (so nothing is served, or refused, without its
 * audit record on disk), but the events of concurrent requests are written together: while a
 * write is in flight, new events queue up and go in the next one, one statement and one commit
 * for all of them. Changes are not batched: their events are written in the transaction of the
 * change.
 */
export function createAuditBatcher(deps: { insert: (rows: NewAuditRow[]) => Promise<void>; maxBatch?: number; maxInFlight?: number }) {
  const maxBatch = deps.maxBatch ?? 500;
  // One write at a time: the fewer the commits, the larger the batches (the pool has a spare).
  const maxInFlight = deps.maxInFlight ?? 1;
  let queue: Array<{ row: NewAuditRow; resolve: () => void; reject: (err: unknown) => void }> = [];
  let scheduled = false;
  let inFlight = 0;

  const flush = () => {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      deps
        .insert(batch.map((b) => b.row))
        .then(
          () => batch.forEach((b) => b.resolve()),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          inFlight--;
          // What queued during this write goes now, as one batch.
          if (queue.length > 0) schedule();
        });
    }
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // A millisecond of gathering: the events of the requests in flight join the same batch.
    setTimeout(flush, 1);
  };

  return {
    /** Resolves once the event is committed; rejects (and the request fails) if it could not be. */
    record(row: NewAuditRow): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        if (inFlight < maxInFlight) schedule();
      });
    },
  };
}
