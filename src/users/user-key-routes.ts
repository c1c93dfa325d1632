import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { UserKeyService } from './user-key-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/user-key.js';

/** Users' public keys: what a client seals an envelope or a keyring entry to. */
const userKeyRoutes: FastifyPluginAsyncTypebox<{ userKeys: UserKeyService }> = async (fastify, { userKeys }) => {
  fastify.route({
    ...routeOf(api.getUserPublicKey),
    config: { action: 'user.key.read' },
    handler: async (request) => userKeys.publicKey(ctxOf(request), request.params.userId),
  });
};

export default userKeyRoutes;
