import { defineModule } from '../module.js';
import { DEADLINE_OPENED, DEADLINE_STEPS, deadlineOpenedHandler, startEscalation, type RunningEscalation } from '../../workers/escalation.js';

/**
 * The escalation ladders of open deadlines, in the workers only: the `deadline-steps` queue, the
 * reconciler, and `deadline.opened` (a deadline started or resumed gets its step jobs).
 */
export default defineModule<RunningEscalation>({
  name: 'escalation',
  worker: {
    start({ container, connection, producer, log, watch }) {
      const escalation = startEscalation({ container, connection, producer, log });
      watch(DEADLINE_STEPS, escalation.worker);
      return escalation;
    },
    outbox: { [DEADLINE_OPENED]: (escalation) => deadlineOpenedHandler(escalation) },
  },
});
