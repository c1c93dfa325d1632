import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { ReferralService } from './referral-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/referral.js';

/**
 * Referrals of part of a case to a partner organisation. The packet is sealed on the referring
 * officer's client (crypto.md "Referral packet"); the server checks shapes, states and keys only.
 */
const referralRoutes: FastifyPluginAsyncTypebox<{ referrals: ReferralService }> = async (fastify, { referrals }) => {
  fastify.route({
    ...routeOf(api.proposeReferral),
    config: { action: 'referral.create' },
    handler: async (request, reply) => reply.code(201).send(await referrals.create(ctxOf(request), request.params.caseId, request.body)),
  });

  fastify.route({
    ...routeOf(api.listCaseReferrals),
    config: { action: 'referral.read' },
    handler: async (request) => ({ items: await referrals.listForCase(ctxOf(request), request.params.caseId) }),
  });

  fastify.route({
    ...routeOf(api.listReferrals),
    config: { action: 'referral.read' },
    handler: async (request) => {
      const { beforeAt, beforeId, limit } = request.query;
      return { items: await referrals.list(ctxOf(request), { limit: Number(limit ?? 50), ...(beforeAt && beforeId ? { before: { at: beforeAt, id: beforeId } } : {}) }) };
    },
  });

  fastify.route({
    ...routeOf(api.getReferral),
    config: { action: 'referral.read' },
    handler: async (request) => referrals.get(ctxOf(request), request.params.referralId),
  });

  fastify.route({
    ...routeOf(api.consentToReferral),
    config: { action: 'referral.consent' },
    handler: async (request) => referrals.consent(ctxOf(request), request.params.referralId, request.body),
  });

  fastify.route({
    ...routeOf(api.uploadReferralPacket),
    config: { action: 'referral.create' },
    handler: async (request) => referrals.uploadPacket(ctxOf(request), request.params.referralId, request.body as { packet: Record<string, string>; envelopes: Array<{ keyId: string; envelope: string; recipientType: 'org' | 'user'; recipientId: string }> }),
  });

  fastify.route({
    ...routeOf(api.acceptReferral),
    config: { action: 'referral.respond' },
    handler: async (request) => referrals.accept(ctxOf(request), request.params.referralId),
  });

  fastify.route({
    ...routeOf(api.declineReferral),
    config: { action: 'referral.respond' },
    handler: async (request) => referrals.decline(ctxOf(request), request.params.referralId, request.body.reason),
  });

  fastify.route({
    ...routeOf(api.addReferralReport),
    config: { action: 'referral.report' },
    handler: async (request, reply) => reply.code(201).send(await referrals.report(ctxOf(request), request.params.referralId, request.body)),
  });

  fastify.route({
    ...routeOf(api.withdrawReferral),
    config: { action: 'referral.withdraw' },
    handler: async (request) => referrals.withdraw(ctxOf(request), request.params.referralId, request.body.reason),
  });
};

export default referralRoutes;
