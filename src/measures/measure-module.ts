import { defineModule, route } from '../module.js';

/** Protection measures; in the workers, the sweep that expires and lapses measures (a queue, every minute). */
export default defineModule({
  name: 'measures',
  permissions: ['measure.catalogue', 'measure.read', 'measure.propose', 'measure.consent', 'measure.approve', 'measure.implement', 'measure.lift'],
  routes: [route(() => import('./measure-routes.js'), (c) => ({ measures: c.services.measures }))],
  worker: {
    async start({ container, connection, log, watch, keepSchedule }) {
      const { SCHEDULER_ID, scheduleMeasureExpiry, startMeasureExpiry } = await import('../../workers/measure-expiry.js');
      const expiry = await startMeasureExpiry({ config: container.config, measures: container.services.measures, connection, clock: container.clock, log });
      watch(expiry.worker);
      keepSchedule({ queue: expiry.queue, id: SCHEDULER_ID, create: () => scheduleMeasureExpiry(expiry.queue) });
      return expiry;
    },
  },
});
