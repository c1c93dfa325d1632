import fp from 'fastify-plugin';
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify';
import { Counter } from 'prom-client';
import type { Redis } from 'ioredis';
import { AppError } from '../lib/problem.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../config/config.js';
import type { LimitsPolicy, PerUserLimit } from '../limits/limits-policy.js';
import { createFilingCeiling, isSmallFiling } from '../limits/filing-ceiling.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A limit of policies/limits.yaml this route takes: a per-user one (heavy authenticated
     * routes), or `filing` (anonymous filing: requests a minute and bytes an hour per address).
     */
    limit?: PerUserLimit | 'filing';
  }
}

export interface RouteLimitsOptions {
  config: Pick<Config, 'REDIS_PREFIX' | 'FILING_RATE_LIMIT_PER_MINUTE'>;
  limits: LimitsPolicy;
  redis: Redis;
  clock: Clock;
  /** HMAC key for the address in the filing counters (ServerKeys.throttleKey). */
  key: Uint8Array;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * The limits routes name in `config.limit`, attached when each route is added. They fail open:
 * while Redis does not answer, the request goes through, with a warning in the log and a count
 * in `egide_rate_limit_errors_total{limit}` (a defender in danger can still file, an officer can
 * still list cases). The credential limits fail closed instead (auth routes, auth-throttle.ts).
 */
export default fp<RouteLimitsOptions>(
  async function routeLimitsPlugin(fastify, opts) {
    const storeErrors = new Counter({ name: 'egide_rate_limit_errors_total', help: 'Requests let through because a limit could not be read from Redis, by limit', labelNames: ['limit'] as const, registers: [fastify.metrics] });
    const pastCeiling = new Counter({
      name: 'egide_filing_ceiling_exceeded_total',
      help: 'Filings from an address past its hourly byte ceiling (policies/limits.yaml): refused when large, accepted when small. Alert on any increase.',
      labelNames: ['outcome'] as const,
      registers: [fastify.metrics],
    });
    const ceiling = createFilingCeiling({ redis: opts.redis, prefix: opts.config.REDIS_PREFIX, key: opts.key, policy: opts.limits.filing, clock: opts.clock });

    /** Runs a store operation; a Redis failure lets the request through, logged and counted. */
    async function failOpen<T>(request: FastifyRequest, limit: string, work: () => Promise<T>): Promise<T | undefined> {
      try {
        return await work();
      } catch (err) {
        storeErrors.inc({ limit });
        request.log.warn({ limit, err: { message: err instanceof Error ? err.message : String(err) } }, 'limit not enforced: Redis did not answer');
        return undefined;
      }
    }

    function enforce(limit: string, limiter: Limiter) {
      return async (request: FastifyRequest, reply: FastifyReply) => {
        const r = await failOpen(request, limit, () => limiter(request));
        if (!r || r.isAllowed) return;
        void reply.header('ratelimit-limit', r.max).header('ratelimit-remaining', r.isExceeded ? 0 : r.remaining).header('ratelimit-reset', r.ttlInSeconds);
        if (r.isExceeded) throw new AppError('rate_limited', 'too many requests; wait and retry', { retryAfter: Math.max(1, r.ttlInSeconds) });
      };
    }

    const perUser = (name: PerUserLimit): preHandlerHookHandler => {
      const { max, windowSeconds } = opts.limits.perUser[name];
      const limiter = fastify.createRateLimit({
        max,
        timeWindow: windowSeconds * 1000,
        skipOnError: false,
        keyGenerator: (request) => {
          const p = request.principal;
          return `user:${name}:${p.kind === 'user' ? p.userId : p.kind === 'defender' ? p.caseId : request.ip}`;
        },
      });
      return enforce(name, limiter);
    };

    const filingCount: onRequestHookHandler = enforce(
      'filing',
      fastify.createRateLimit({ max: opts.config.FILING_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000, skipOnError: false, keyGenerator: (request) => `filing:${normalizeIP(request.ip)}` }),
    );

    const filingBytes: preHandlerHookHandler = async (request) => {
      const bytes = Number(request.headers['content-length']) || Buffer.byteLength(JSON.stringify(request.body ?? null));
      const small = isSmallFiling(request.body, opts.limits.filing.smallFieldMaxChars);
      const admission = await failOpen(request, 'filing_ceiling', () => ceiling.admit(request.ip, bytes, small));
      if (!admission) return;
      if (admission.admitted) {
        if (admission.pastCeiling) {
          pastCeiling.inc({ outcome: 'accepted_small' });
          request.log.info({ limit: 'filing_ceiling' }, 'filing past the hourly byte ceiling of its address: accepted (small)');
        }
        return;
      }
      pastCeiling.inc({ outcome: 'refused' });
      request.log.warn({ limit: 'filing_ceiling' }, 'filing past the hourly byte ceiling of its address: refused (large)');
      throw new AppError('filing_quota_exceeded', `this address has sent too much in the last hour: a short request (every field under ${opts.limits.filing.smallFieldMaxChars} characters once sealed) is still accepted now, a long one after Retry-After`, { retryAfter: admission.retryAfter });
    };

    const add = <H>(existing: H | H[] | undefined, hook: H): H[] => [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), hook];

    fastify.addHook('onRoute', (route) => {
      const limit = route.config?.limit;
      if (!limit) return;
      if (limit === 'filing') {
        route.onRequest = add(route.onRequest, filingCount);
        route.preHandler = add(route.preHandler, filingBytes);
      } else {
        route.preHandler = add(route.preHandler, perUser(limit));
      }
    });
  },
  { name: 'route-limits', dependencies: ['metrics', '@fastify/rate-limit'] },
);
