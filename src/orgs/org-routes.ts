import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { OrgService } from './org-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/org.js';

export interface OrgRoutesOptions {
  orgs: OrgService;
}

/** Organisations, their public keys and keyrings. */
const orgRoutes: FastifyPluginAsyncTypebox<OrgRoutesOptions> = async (fastify, opts) => {
  const { orgs } = opts;

  fastify.route({
    ...routeOf(api.createOrg),
    config: { action: 'org.create' },
    handler: async (request, reply) => reply.code(201).send(await orgs.create(ctxOf(request), request.body)),
  });

  fastify.route({
    ...routeOf(api.listOrgs),
    config: { action: 'org.list' },
    handler: async (request) => ({ items: await orgs.list(ctxOf(request)) }),
  });

  fastify.route({
    ...routeOf(api.listOrgKeys),
    config: { action: 'org.keys.read' },
    handler: async (request) => orgs.keys(ctxOf(request), request.params.orgId),
  });

  fastify.route({
    ...routeOf(api.createOrgKey),
    config: { action: 'org.key.create' },
    handler: async (request, reply) => reply.code(201).send(await orgs.createKey(ctxOf(request), request.params.orgId, request.body)),
  });

  fastify.route({
    ...routeOf(api.listOrgKeyring),
    config: { action: 'keyring.list' },
    handler: async (request) => orgs.listKeyring(ctxOf(request), request.params.orgId),
  });

  fastify.route({
    ...routeOf(api.addOrgKeyringEntry),
    config: { action: 'keyring.add' },
    handler: async (request, reply) => reply.code(201).send(await orgs.addEntry(ctxOf(request), request.params.orgId, request.body)),
  });

  fastify.route({
    ...routeOf(api.removeOrgKeyringMember),
    config: { action: 'keyring.remove' },
    handler: async (request) => orgs.removeEntries(ctxOf(request), request.params.orgId, request.params.userId, request.query.reason ?? null),
  });
};

export default orgRoutes;
