import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Container } from '../../../src/container.js';
import { Uuid, responses } from '../../../src/lib/schemas.js';
import { ctxOf } from '../../../src/plugins/context.js';
import { randomUUID } from 'node:crypto';
import type { Outbox } from '../../../src/outbox/outbox.js';

export const TOY_ACTION = 'toy.ping';
export const TOY_TOPIC = 'toy.pinged';
/** The toy's own outbox topic and its payload. */
export const TOY_TOPICS = { [TOY_TOPIC]: Type.Object({ id: Uuid }, { additionalProperties: false }) } as const;

export interface ToyRoutesOptions {
  db: Container['database']['db'];
  access: Pick<Container['services']['access'], 'authorize'>;
  outbox: Outbox<typeof TOY_TOPICS>;
  clock: Container['clock'];
}

/** One command: authorized and audited by the access service, its outbox row written in the same transaction. */
const toyRoutes: FastifyPluginAsyncTypebox<ToyRoutesOptions> = async (fastify, { db, access, outbox, clock }) => {
  fastify.post('/v1/toy/pings', {
    config: { action: TOY_ACTION },
    schema: {
      operationId: 'pingToy',
      tags: ['health'],
      summary: 'Ping the toy module',
      security: [{ bearer: [] }],
      response: responses({ 201: Type.Object({ id: Uuid }) }, [401, 403]),
    },
    handler: async (request, reply) => {
      const id = randomUUID();
      await db.transaction(async (tx) => {
        await access.authorize(ctxOf(request), TOY_ACTION, { resource: `toy:${id}` }, tx);
        await outbox.add(tx, TOY_TOPIC, { id }, clock.now());
      });
      return reply.code(201).send({ id });
    },
  });
};

export default toyRoutes;
