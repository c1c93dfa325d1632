import type { StatsService } from '../src/stats/stats-service.js';
import type { Logger } from '../src/lib/logger.js';
import { loggableError } from '../src/lib/loggable-error.js';
import { every } from '../src/lib/periodic.js';

/**
 * Brings the statistics' settings in line with the policies (re-counting when they changed),
 * then folds the counters' pending changes every `intervalMs`. Any number of workers may run it:
 * one folds at a time (an advisory lock), the others find nothing to do.
 */
export function startStatsFolder(deps: { stats: Pick<StatsService, 'ready' | 'fold'>; log: Logger; intervalMs: number }): { close(): Promise<void> } {
  let failing = false;
  const pass = async () => {
    try {
      await deps.stats.ready();
      let moved: number;
      do moved = await deps.stats.fold();
      while (moved >= 50_000);
      if (failing) deps.log.info('statistics folder recovered');
      failing = false;
    } catch (err) {
      if (!failing) deps.log.warn({ err: loggableError(err) }, 'statistics folder cannot reach the database; retrying');
      failing = true;
    }
  };
  const loop = every(deps.intervalMs, pass, { now: true });
  return { close: () => loop.close() };
}
