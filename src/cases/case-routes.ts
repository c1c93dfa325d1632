import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { IntakeService } from '../intake/intake-service.js';
import type { CaseService } from './case-service.js';
import type { AuthService } from '../auth/auth-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case.js';

/** Filing a request (no account), the defender's receipt login, and reading a case. */
const caseRoutes: FastifyPluginAsyncTypebox<{ intake: IntakeService; cases: CaseService; auth: Pick<AuthService, 'receiptLogin'> }> = async (fastify, { intake, cases, auth }) => {
  fastify.route({
    ...routeOf(api.fileCase),
    // Per address: FILING_RATE_LIMIT_PER_MINUTE requests and the byte ceiling of policies/limits.yaml (plugins/route-limits.ts).
    config: { action: 'request.create', limit: 'filing' },
    handler: async (request, reply) => reply.code(201).send(await intake.file(ctxOf(request), request.body)),
  });

  fastify.route({
    ...routeOf(api.fileCaseOnBehalf),
    config: { action: 'case.file_on_behalf' },
    handler: async (request, reply) => {
      const { source, consent, filer, ...filing } = request.body;
      return reply.code(201).send(await intake.file(ctxOf(request), filing, { source, consent, filer }));
    },
  });

  fastify.route({
    ...routeOf(api.loginWithReceipt),
    config: { action: 'auth.receipt', rateLimit: { max: fastify.config.LOGIN_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } },
    handler: async (request) => auth.receiptLogin(ctxOf(request), request.body.authKey),
  });

  fastify.route({
    ...routeOf(api.getCase),
    config: { action: 'case.read' },
    handler: async (request) => cases.read(ctxOf(request), request.params.caseId),
  });

  fastify.route({
    ...routeOf(api.grantCaseEnvelope),
    config: { action: 'case.grant' },
    handler: async (request, reply) => reply.code(201).send(await cases.grant(ctxOf(request), request.params.caseId, request.body)),
  });

  fastify.route({
    ...routeOf(api.getCaseSealed),
    config: { action: 'case.read_sealed' },
    handler: async (request) => cases.readSealed(ctxOf(request), request.params.caseId),
  });
};

export default caseRoutes;
