import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { AuthService } from './auth-service.js';
import type { TotpResetService } from './totp-reset-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/auth.js';

/**
 * Login, tokens and the caller's own account. Thin: each handler calls one service method. The
 * client address (request.ip, as TRUST_PROXY allows) keys the per-account throttling.
 */
const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService; totpReset: TotpResetService }> = async (fastify, { auth, totpReset }) => {
  const loginLimit = { max: fastify.config.LOGIN_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 };

  fastify.route({
    ...routeOf(api.prelogin),
    config: { action: 'auth.prelogin', rateLimit: { ...loginLimit, max: loginLimit.max * 3 } },
    handler: async (request) => auth.prelogin(request.body.username),
  });

  fastify.route({
    ...routeOf(api.login),
    config: { action: 'auth.login', rateLimit: loginLimit },
    handler: async (request) => {
      const { userId: _userId, ...tokens } = await auth.login(ctxOf(request), { ...request.body, ip: request.ip });
      return tokens;
    },
  });

  fastify.route({
    ...routeOf(api.refreshSession),
    config: { action: 'auth.refresh', rateLimit: { ...loginLimit, max: loginLimit.max * 6 } },
    handler: async (request) => auth.refresh(ctxOf(request), request.body.refreshToken),
  });

  fastify.route({
    ...routeOf(api.logout),
    config: { action: 'auth.logout' },
    handler: async (request, reply) => {
      await auth.logout(ctxOf(request));
      return reply.code(204).send(null);
    },
  });

  fastify.route({
    ...routeOf(api.logOutEverywhere),
    config: { action: 'auth.logout_everywhere' },
    handler: async (request) => auth.logOutEverywhere(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.getMe),
    config: { action: 'account.read' },
    handler: async (request) => auth.account(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.changePassword),
    config: { action: 'account.password', rateLimit: loginLimit },
    handler: async (request, reply) => {
      const { currentAuthKey, totp, ...next } = request.body;
      await auth.changePassword(ctxOf(request), { currentAuthKey, totp, ip: request.ip, next });
      return reply.code(204).send(null);
    },
  });

  fastify.route({
    ...routeOf(api.startRecovery),
    config: { action: 'auth.recover', rateLimit: loginLimit },
    handler: async (request) => auth.recoveryStart(ctxOf(request), request.body.username),
  });

  fastify.route({
    ...routeOf(api.finishRecovery),
    config: { action: 'auth.recover', rateLimit: loginLimit },
    handler: async (request, reply) => {
      const { username, challengeId, answer, totp, ...next } = request.body;
      await auth.recoveryFinish(ctxOf(request), { username, challengeId, answer, totp, next });
      return reply.code(204).send(null);
    },
  });

  fastify.route({
    ...routeOf(api.finishTotpReset),
    config: { action: 'auth.totp_reset', rateLimit: loginLimit },
    handler: async (request, reply) => {
      await totpReset.complete(ctxOf(request), { ...request.body, ip: request.ip });
      return reply.code(204).send(null);
    },
  });
};

export default authRoutes;
