import fp from 'fastify-plugin';
import fastifyJwt from '@fastify/jwt';
import { AppError } from '../lib/problem.js';
import type { Principal, StaffRole } from '../access/principal.js';
import type { AccessClaims } from '../auth/access-claims.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../config/config.js';
import type { SessionRepository } from '../auth/session-repository.js';
import type { AccessService } from '../access/access-service.js';
import type { ServerKeys } from '../lib/server-keys.js';
import { ctxOf } from './context.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessClaims;
    user: AccessClaims;
  }
}

export interface AuthOptions {
  config: Config;
  keys: ServerKeys;
  access: Pick<AccessService, 'authorize' | 'isPublic' | 'roleMay'>;
  sessions: SessionRepository;
  clock: Clock;
}

const ANONYMOUS: Principal = { kind: 'anonymous' };

/**
 * Authentication and the route-action contract. Tokens are EdDSA JWTs, verified with that one
 * algorithm pinned and `iss`/`aud` checked; the session they name must be live and its user
 * enabled, so logout, disabling and refresh-token reuse end access at once.
 */
export default fp<AuthOptions>(
  async function authPlugin(fastify, opts) {
    const { config, keys, access, sessions, clock } = opts;
    await fastify.register(fastifyJwt, {
      secret: { private: keys.jwt.privatePem, public: keys.jwt.publicPem },
      sign: { algorithm: 'EdDSA', iss: config.JWT_ISSUER, aud: config.JWT_AUDIENCE, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS },
      verify: {
        algorithms: ['EdDSA'],
        // Expiry is checked below against the injected clock; options passed per call would
        // make @fastify/jwt build a new verifier (and parse the key) on every request.
        ignoreExpiration: true,
        allowedIss: config.JWT_ISSUER,
        allowedAud: config.JWT_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'iss', 'aud', 'sub', 'sid'],
      },
    });
    fastify.decorateRequest('principal', null as never);

    fastify.addHook('onRequest', async (request) => {
      const action = request.routeOptions.config?.action;
      if (!action || access.isPublic(action)) {
        request.principal = ANONYMOUS;
        return;
      }
      if (!request.headers.authorization) throw new AppError('unauthenticated', 'send an access token: Authorization: Bearer <token>');
      let claims: AccessClaims;
      try {
        claims = await request.jwtVerify<AccessClaims>();
      } catch {
        throw new AppError('invalid_token', 'the access token is invalid or expired');
      }
      // The injected clock decides expiry, so tests can move time instead of waiting.
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= clock.now().getTime()) throw new AppError('invalid_token', 'the access token is invalid or expired');
      const live = await sessions.live(claims.sid);
      const now = clock.now();
      if (!live || live.session.revokedAt || live.session.expiresAt <= now) throw new AppError('session_ended', 'the session has ended; log in again');
      const s = live.session;
      if (s.userId) {
        if (live.userStatus !== 'active') throw new AppError('account_disabled');
        if (s.userId !== claims.sub || s.role !== claims.role) throw new AppError('invalid_token');
        request.principal = { kind: 'user', userId: s.userId, role: s.role as StaffRole, orgId: live.userOrgId!, sessionId: s.id };
      } else {
        if (s.caseId !== claims.sub || s.role !== 'defender') throw new AppError('invalid_token');
        request.principal = { kind: 'defender', role: 'defender', caseId: s.caseId!, sessionId: s.id };
      }
      // Function-level authorisation before the body is even parsed: a role the policy never
      // allows this action gets 403 whatever it sends. Scopes are checked later, in the service.
      // The refusal is the access service's decision like any other (audited once, on the
      // request's own trail); only a refusal makes the request's service context, since a request
      // let through may still be refused by its schema before any service runs, which decides nothing.
      if (!access.roleMay(request.principal.role, action)) {
        await access.authorize(ctxOf(request), action, { resource: `route:${request.routeOptions.method} ${request.routeOptions.url}` });
        throw new AppError('forbidden', `role ${request.principal.role} may not ${action}`);
      }
    });
  },
  { name: 'auth', dependencies: ['errors'] },
);
