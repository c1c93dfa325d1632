import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { responses } from '../lib/schemas.js';
import { ctxOf } from '../plugins/context.js';
import type { AuthService } from './auth-service.js';
import type { TotpResetService } from './totp-reset-service.js';
import { AccountReply, ChangePasswordBody, LoginBody, PreloginBody, PreloginReply, RecoveryFinishBody, RecoveryStartBody, RecoveryStartReply, RefreshBody, TokenReply, TotpResetFinishBody } from './auth-schemas.js';

/**
 * Login, tokens and the caller's own account. Thin: each handler calls one service method. The
 * client address (request.ip, as TRUST_PROXY allows) keys the per-account throttling.
 */
const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService; totpReset: TotpResetService }> = async (fastify, { auth, totpReset }) => {
  const loginLimit = { max: fastify.config.LOGIN_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 };

  fastify.post('/v1/auth/prelogin', {
    config: { action: 'auth.prelogin', rateLimit: { ...loginLimit, max: loginLimit.max * 3 } },
    schema: { operationId: 'prelogin', security: [], tags: ['auth'], summary: 'KDF parameters and salt for a username', body: PreloginBody, response: responses({ 200: PreloginReply }, [429]) },
    handler: async (request) => auth.prelogin(request.body.username),
  });

  fastify.post('/v1/auth/login', {
    config: { action: 'auth.login', rateLimit: loginLimit },
    schema: { operationId: 'login', security: [], tags: ['auth'], summary: 'Log in with authKey and a TOTP code (throttled per account and address; 429 `totp_locked` after repeated wrong codes)', body: LoginBody, response: responses({ 200: TokenReply }, [401, 429]) },
    handler: async (request) => {
      const { userId: _userId, ...tokens } = await auth.login(ctxOf(request), { ...request.body, ip: request.ip });
      return tokens;
    },
  });

  fastify.post('/v1/auth/refresh', {
    config: { action: 'auth.refresh', rateLimit: { ...loginLimit, max: loginLimit.max * 6 } },
    schema: { operationId: 'refreshSession', security: [], tags: ['auth'], summary: 'Rotate a refresh token (reuse ends the session)', body: RefreshBody, response: responses({ 200: TokenReply }, [401, 429]) },
    handler: async (request) => auth.refresh(ctxOf(request), request.body.refreshToken),
  });

  fastify.post('/v1/auth/logout', {
    config: { action: 'auth.logout' },
    schema: { operationId: 'logout', tags: ['auth'], summary: 'End the current session', security: [{ bearer: [] }], response: responses({ 204: Type.Null() }, [401]) },
    handler: async (request, reply) => {
      await auth.logout(ctxOf(request));
      return reply.code(204).send(null);
    },
  });

  fastify.get('/v1/me', {
    config: { action: 'account.read' },
    schema: { operationId: 'getMe', tags: ['auth'], summary: 'Own account and key bundle', security: [{ bearer: [] }], response: responses({ 200: AccountReply }, [401, 403]) },
    handler: async (request) => auth.account(ctxOf(request)),
  });

  fastify.post('/v1/me/password', {
    config: { action: 'account.password', rateLimit: loginLimit },
    schema: { operationId: 'changePassword', tags: ['auth'], summary: 'Change password (client re-wraps the private key)', security: [{ bearer: [] }], body: ChangePasswordBody, response: responses({ 204: Type.Null() }, [401, 403, 429]) },
    handler: async (request, reply) => {
      const { currentAuthKey, totp, ...next } = request.body;
      await auth.changePassword(ctxOf(request), { currentAuthKey, totp, ip: request.ip, next });
      return reply.code(204).send(null);
    },
  });

  fastify.post('/v1/auth/recovery/start', {
    config: { action: 'auth.recover', rateLimit: loginLimit },
    schema: { operationId: 'startRecovery', security: [], tags: ['auth'], summary: 'Start recovery with the recovery code: returns the recovery wrap and a challenge', body: RecoveryStartBody, response: responses({ 200: RecoveryStartReply }, [429]) },
    handler: async (request) => auth.recoveryStart(ctxOf(request), request.body.username),
  });

  fastify.post('/v1/auth/recovery/finish', {
    config: { action: 'auth.recover', rateLimit: loginLimit },
    schema: { operationId: 'finishRecovery', security: [], tags: ['auth'], summary: 'Finish recovery: prove the key, set a new password and a new recovery wrap; all sessions end', body: RecoveryFinishBody, response: responses({ 204: Type.Null() }, [401, 429]) },
    handler: async (request, reply) => {
      const { username, challengeId, answer, totp, ...next } = request.body;
      await auth.recoveryFinish(ctxOf(request), { username, challengeId, answer, totp, next });
      return reply.code(204).send(null);
    },
  });

  fastify.post('/v1/auth/totp-reset', {
    config: { action: 'auth.totp_reset', rateLimit: loginLimit },
    schema: {
      operationId: 'finishTotpReset',
      security: [],
      tags: ['auth'],
      summary: 'Finish a TOTP reset an admin started: the reset token and the password, then a new TOTP secret on the same account; all sessions end',
      body: TotpResetFinishBody,
      response: responses({ 204: Type.Null() }, [401, 429]),
    },
    handler: async (request, reply) => {
      await totpReset.complete(ctxOf(request), { ...request.body, ip: request.ip });
      return reply.code(204).send(null);
    },
  });
};

export default authRoutes;
