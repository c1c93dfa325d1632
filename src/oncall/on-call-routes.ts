import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/on-call.js';
import type { OnCallService } from './on-call-service.js';

/** The on-call roster (GET/PUT /v1/on-call/roster) and the caller's pages (GET /v1/on-call/pages, POST .../:id/acknowledge). */
const onCallRoutes: FastifyPluginAsyncTypebox<{ onCall: OnCallService }> = async (fastify, { onCall }) => {
  fastify.route({ ...routeOf(api.getOnCallRoster), config: { action: 'oncall.read' }, handler: async (request) => onCall.roster(ctxOf(request)) });
  fastify.route({ ...routeOf(api.replaceOnCallRoster), config: { action: 'oncall.manage' }, handler: async (request) => onCall.replace(ctxOf(request), request.body) });
  fastify.route({ ...routeOf(api.listMyPages), config: { action: 'oncall.read' }, handler: async (request) => onCall.myPages(ctxOf(request)) });
  fastify.route({ ...routeOf(api.acknowledgePage), config: { action: 'oncall.acknowledge' }, handler: async (request) => onCall.acknowledge(ctxOf(request), request.params.id) });
};

export default onCallRoutes;
