import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { CaseWithdrawalService } from './case-withdrawal-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case-withdrawal.js';

/** The defender withdraws consent: everything stops and the case closes as consent_withdrawn. */
const caseWithdrawalRoutes: FastifyPluginAsyncTypebox<{ withdrawal: CaseWithdrawalService }> = async (fastify, { withdrawal }) => {
  fastify.route({
    ...routeOf(api.withdrawCaseConsent),
    config: { action: 'case.withdraw' },
    handler: async (request) => withdrawal.withdraw(ctxOf(request), request.params.caseId, request.body ?? {}),
  });
};

export default caseWithdrawalRoutes;
