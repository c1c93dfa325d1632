import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { TotpResetService } from '../auth/totp-reset-service.js';
import type { UserService } from './user-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/user.js';

/** Invitations, enrolment, and the admin's user management. */
const userRoutes: FastifyPluginAsyncTypebox<{ users: UserService; totpReset: Pick<TotpResetService, 'start'> }> = async (fastify, { users, totpReset }) => {

  fastify.route({
    ...routeOf(api.inviteUser),
    config: { action: 'user.invite' },
    handler: async (request, reply) => reply.code(201).send(await users.invite(ctxOf(request), request.body)),
  });

  fastify.route({
    ...routeOf(api.completeEnrolment),
    config: { action: 'enrolment.complete', rateLimit: { max: fastify.config.LOGIN_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } },
    handler: async (request, reply) => reply.code(201).send(await users.enrol(ctxOf(request), request.body)),
  });

  fastify.route({
    ...routeOf(api.listUsers),
    config: { action: 'user.list' },
    handler: async (request) => ({ items: await users.list(ctxOf(request), { limit: Number(request.query.limit ?? 50), ...(request.query.after ? { after: request.query.after } : {}) }) }),
  });

  fastify.route({
    ...routeOf(api.disableUser),
    config: { action: 'user.disable' },
    handler: async (request) => users.disable(ctxOf(request), request.params.userId, request.body.reason),
  });

  fastify.route({
    ...routeOf(api.enableUser),
    config: { action: 'user.enable' },
    handler: async (request) => users.enable(ctxOf(request), request.params.userId, request.body.reason),
  });

  fastify.route({
    ...routeOf(api.startTotpReset),
    config: { action: 'user.totp_reset' },
    handler: async (request, reply) => reply.code(201).send(await totpReset.start(ctxOf(request), request.params.userId, request.body.reason)),
  });

  fastify.route({
    ...routeOf(api.listInvitations),
    config: { action: 'invitation.list' },
    handler: async (request) => ({ items: await users.pendingInvitations(ctxOf(request), Number(request.query.limit ?? 200)) }),
  });

  fastify.route({
    ...routeOf(api.resendInvitation),
    config: { action: 'invitation.resend' },
    handler: async (request) => users.resendInvitation(ctxOf(request), request.params.invitationId),
  });

  fastify.route({
    ...routeOf(api.revokeInvitation),
    config: { action: 'invitation.revoke' },
    handler: async (request) => users.revokeInvitation(ctxOf(request), request.params.invitationId),
  });
};

export default userRoutes;
