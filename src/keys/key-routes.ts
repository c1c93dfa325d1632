import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { OrgService } from '../orgs/org-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/key.js';

export interface KeyRoutesOptions {
  orgs: Pick<OrgService, 'intakeKey'>;
}

/** Published keys: the mechanism's intake key, unauthenticated (clients pin its keyId). */
const keyRoutes: FastifyPluginAsyncTypebox<KeyRoutesOptions> = async (fastify, opts) => {
  const { orgs } = opts;

  fastify.route({
    ...routeOf(api.getIntakeKey),
    config: { action: 'keys.intake.read' },
    handler: async (request) => orgs.intakeKey(ctxOf(request)),
  });
};

export default keyRoutes;
