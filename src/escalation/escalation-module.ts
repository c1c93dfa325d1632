import { defineModule } from '../module.js';
import type { RunningEscalation } from '../../workers/escalation.js';

/**
 * The escalation ladders of open deadlines, in the workers only: the `deadline-steps` queue, the
 * reconciler, and `deadline.opened` (a deadline started or resumed gets its step jobs).
 */
export default defineModule<RunningEscalation>({
  name: 'escalation',
  worker: {
    async start({ container, connection, producer, log, watch }) {
      const { startEscalation } = await import('../../workers/escalation.js');
      const escalation = startEscalation({ container, connection, producer, log });
      watch(escalation.worker);
      return escalation;
    },
    outbox: { 'deadline.opened': (escalation) => (rows, tx) => escalation.scheduler.onDeadlineOpened(rows, tx) },
  },
});
