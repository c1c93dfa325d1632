import { defineModule, route } from '../module.js';
import type { OnCallWorker } from '../../workers/on-call.js';

/**
 * On call, out of office hours: the roster and the pages (API); in the workers, the pager's tap on
 * the events policies/on-call.yaml names (their owners keep handling them) and the `on-call` queue.
 */
export default defineModule<OnCallWorker>({
  name: 'oncall',
  permissions: ['oncall.read', 'oncall.manage', 'oncall.acknowledge'],
  routes: [route(() => import('./on-call-routes.js'), (c) => ({ onCall: c.services.onCall }))],
  worker: {
    async start({ container, connection, producer, log, watch }) {
      const { startOnCall } = await import('../../workers/on-call.js');
      const onCall = await startOnCall({ container, connection, producer, log });
      watch(onCall.worker);
      return onCall;
    },
    taps: (onCall) => onCall.topics.map((topic) => [topic, (rows, tx) => onCall.tap(rows, tx)] as const),
  },
});
