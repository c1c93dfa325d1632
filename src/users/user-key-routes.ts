import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Uuid, responses } from '../lib/schemas.js';
import { ctxOf } from '../plugins/context.js';
import { PublicKeyFields } from '../keys/public-key-view.js';
import type { UserKeyService } from './user-key-service.js';

/** Users' public keys: what a client seals an envelope or a keyring entry to. */
const userKeyRoutes: FastifyPluginAsyncTypebox<{ userKeys: UserKeyService }> = async (fastify, { userKeys }) => {
  fastify.get('/v1/users/:userId/public-key', {
    config: { action: 'user.key.read' },
    schema: {
      operationId: 'getUserPublicKey',
      tags: ['users'],
      summary: "A colleague's public key, keyId and fingerprint, to seal a case envelope or a keyring entry to them (audited)",
      description:
        "Officers and supervisors read the keys of the mechanism's active officers and supervisors; a partner member those of its own organisation's active members. Anyone else (another organisation's member, an admin, a disabled account) answers 404. Recompute the keyId from publicKey before sealing to it; compare the fingerprint with the person out of band.",
      security: [{ bearer: [] }],
      params: Type.Object({ userId: Uuid }),
      response: responses({ 200: Type.Object({ userId: Uuid, ...PublicKeyFields }) }, [401, 403, 404]),
    },
    handler: async (request) => userKeys.publicKey(ctxOf(request), request.params.userId),
  });
};

export default userKeyRoutes;
