import { defineModule, route } from '../module.js';
import type { FileUpkeep } from '../../workers/file-upkeep.js';

/**
 * Evidence files: tus uploads of ciphertext, their sealed descriptions, downloads; in the
 * workers, the `file-upkeep` queue (time-stamps of received files, the sweep of uploads left
 * unfinished) and the files' outbox topics (a time-stamp asked for, bytes to erase).
 */
export default defineModule<FileUpkeep>({
  name: 'files',
  permissions: ['file.upload', 'file.read', 'file.settings'],
  routes: [
    route(() => import('./upload-routes.js'), (c) => ({ files: c.services.files, uploads: c.services.uploads })),
    route(() => import('./file-routes.js'), (c) => ({ files: c.services.files, policy: c.policies.files })),
  ],
  worker: {
    async start({ container, connection, producer, log, watch, keepSchedule }) {
      const { SCHEDULER_ID, scheduleFileSweep, startFileUpkeep } = await import('../../workers/file-upkeep.js');
      const upkeep = await startFileUpkeep({ config: container.config, files: container.services.files, connection, producer, clock: container.clock, log });
      watch(upkeep.worker);
      keepSchedule({ queue: upkeep.queue, id: SCHEDULER_ID, create: () => scheduleFileSweep(upkeep.queue, container.config) });
      return upkeep;
    },
    outbox: {
      'file.received': (upkeep) => upkeep.onReceived,
      'file.erase': (upkeep) => upkeep.onErase,
    },
  },
});
