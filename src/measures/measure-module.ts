import { defineModule, route } from '../module.js';
import measureRoutes from './measure-routes.js';
import { QUEUE as MEASURE_EXPIRY, SCHEDULER_ID, scheduleMeasureExpiry, startMeasureExpiry } from '../../workers/measure-expiry.js';

/** Protection measures; in the workers, the sweep that expires and lapses measures (a queue, every minute). */
export default defineModule({
  name: 'measures',
  permissions: ['measure.catalogue', 'measure.read', 'measure.propose', 'measure.consent', 'measure.approve', 'measure.implement', 'measure.lift'],
  routes: [route(measureRoutes, (c) => ({ measures: c.services.measures }))],
  worker: {
    async start({ container, connection, log, watch, keepSchedule }) {
      const expiry = await startMeasureExpiry({ config: container.config, measures: container.services.measures, connection, clock: container.clock, log });
      watch(MEASURE_EXPIRY, expiry.worker);
      keepSchedule({ queue: expiry.queue, id: SCHEDULER_ID, create: () => scheduleMeasureExpiry(expiry.queue) });
      return expiry;
    },
  },
});
