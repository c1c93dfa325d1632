import { defineModule, route } from '../module.js';

/**
 * Statistics and the annual report. In the workers, the folder moves the counters' pending
 * changes into the roll-up every STATS_FOLD_INTERVAL_MS (no Redis needed; figures are exact
 * before it runs, it only keeps the pending table small).
 */
export default defineModule({
  name: 'stats',
  permissions: ['stats.read', 'stats.publish', 'stats.service'],
  routes: [route(() => import('./stats-routes.js'), (c) => ({ stats: c.services.stats }))],
  worker: {
    async start({ container, log }) {
      const { startStatsFolder } = await import('../../workers/stats-folder.js');
      const folder = startStatsFolder({ stats: container.services.stats, log, intervalMs: container.config.STATS_FOLD_INTERVAL_MS });
      return { close: () => folder.close() };
    },
  },
});
