import { defineModule, route } from '../module.js';

/**
 * The audit log: the supervisors' query, export and verification; in the workers, the chainer
 * (every AUDIT_CHAIN_INTERVAL_MS, no Redis needed) and the signed checkpoints (a queue).
 */
export default defineModule({
  name: 'audit',
  permissions: ['audit.read', 'audit.verify'],
  routes: [route(() => import('./audit-routes.js'), (c) => ({ auditQuery: c.services.auditQuery }))],
  worker: {
    async start({ container, connection, log, watch, keepSchedule }) {
      const { startAuditChainer } = await import('../../workers/audit-chainer.js');
      const { SCHEDULER_ID, scheduleAuditCheckpoint, startAuditCheckpoint } = await import('../../workers/audit-checkpoint.js');
      const { config } = container;
      const audit = container.services.audit;
      const chainer = startAuditChainer({ audit, log, intervalMs: config.AUDIT_CHAIN_INTERVAL_MS });
      const checkpoint = await startAuditCheckpoint({ config, audit, connection, log });
      watch(checkpoint.worker);
      keepSchedule({ queue: checkpoint.queue, id: SCHEDULER_ID, create: () => scheduleAuditCheckpoint(checkpoint.queue, config) });
      return {
        async close() {
          await chainer.close();
          await checkpoint.close();
        },
      };
    },
  },
});
