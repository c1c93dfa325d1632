import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { StaffDirectoryService } from './staff-directory-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/staff-directory.js';

/** The mechanism's staff by name, for picking a colleague. */
const staffDirectoryRoutes: FastifyPluginAsyncTypebox<{ staffDirectory: StaffDirectoryService }> = async (fastify, { staffDirectory }) => {
  fastify.route({
    ...routeOf(api.listStaffDirectory),
    config: { action: 'staff.directory' },
    handler: async (request) => staffDirectory.list(ctxOf(request)),
  });
};

export default staffDirectoryRoutes;
