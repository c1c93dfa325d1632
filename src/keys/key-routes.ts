import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { B64u, KeyId, PublicKey, Uuid, responses } from '../lib/schemas.js';
import { ctxOf } from '../plugins/context.js';
import type { OrgService } from '../orgs/org-service.js';

export interface KeyRoutesOptions {
  orgs: Pick<OrgService, 'intakeKey'>;
}

/** Published keys: the mechanism's intake key, unauthenticated (clients pin its keyId). */
const keyRoutes: FastifyPluginAsyncTypebox<KeyRoutesOptions> = async (fastify, opts) => {
  const { orgs } = opts;

  fastify.get('/v1/keys/intake', {
    config: { action: 'keys.intake.read' },
    schema: {
      operationId: 'getIntakeKey',
      security: [],
      tags: ['keys'],
      summary: "The mechanism's intake key, its keyId and the receipt salt (public; clients pin the keyId and refuse another)",
      response: responses(
        {
          200: Type.Object({
            orgId: Uuid,
            publicKey: PublicKey,
            keyId: KeyId,
            receiptSalt: B64u(22, '16-byte salt for defenders’ receipts'),
            kdf: Type.Object({ alg: Type.Literal('argon2id13'), opslimit: Type.Integer(), memlimit: Type.Integer() }),
          }),
        },
        [404],
      ),
    },
    handler: async (request) => orgs.intakeKey(ctxOf(request)),
  });
};

export default keyRoutes;
