import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { StaffOversightService } from './staff-oversight-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/staff-oversight.js';

/** Supervisors' view of the staff's work: load per officer, and what a leaving staff member holds. */
const staffOversightRoutes: FastifyPluginAsyncTypebox<{ staffOversight: StaffOversightService }> = async (fastify, { staffOversight }) => {
  fastify.route({
    ...routeOf(api.getStaffLoad),
    config: { action: 'staff.load' },
    handler: async (request) => staffOversight.load(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.getStaffHoldings),
    config: { action: 'staff.holdings' },
    handler: async (request) => staffOversight.holdings(ctxOf(request), request.params.userId),
  });
};

export default staffOversightRoutes;
