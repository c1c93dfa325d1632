import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from './config/config.js';
import type { Database } from './db/client.js';
import type { Clock } from './lib/clock.js';
import { createContainer, type Container } from './container.js';
import { assertModulesMatchPolicy, type AppModule } from './module.js';
import { defaultModules } from './modules.js';
import type { Resolver } from './notifications/webhook-target.js';
import errorsPlugin from './plugins/errors.js';
import { decorateServiceContext } from './plugins/context.js';
import { createRefusalAuditor } from './plugins/refusal-audit.js';
import inputGuardPlugin from './plugins/input-guard.js';
import infraPlugin from './plugins/infra.js';
import authPlugin from './plugins/auth.js';
import routeContractPlugin from './plugins/route-contract.js';
import openapiPlugin from './plugins/openapi.js';
import metricsPlugin from './plugins/metrics.js';
import operationsMetricsPlugin from './plugins/operations-metrics.js';
import { fileStorePath, policiesPath } from './lib/paths.js';
import routeLimitsPlugin from './plugins/route-limits.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The object graph the app was built on (src/container.ts): for tests and tools beside the routes. */
    container: Container;
    config: Config;
  }
}

export interface AppOptions {
  config: Config;
  /** The process's object graph, when the caller built it (then not closed here); by default the app builds one from the options below. */
  container?: Container;
  clock?: Clock;
  database?: Database;
  redis?: Redis;
  auditReads?: boolean;
  /** How webhook registration resolves names (tests answer chosen addresses); the system resolver by default. */
  webhookResolver?: Resolver;
  /** The domain modules to serve (src/modules.ts by default; tests add toy ones). */
  modules?: readonly AppModule[];
}

export { policiesPath };

/**
 * The whole API as one plugin (fastify/demo style): infrastructure first, then the app's
 * decorators, then the modules' routes. `server.ts` only creates the instance and listens; tests
 * register this plugin on their own instance.
 */
async function app(fastify: FastifyInstance, opts: AppOptions) {
  const { config } = opts;
  const modules = opts.modules ?? defaultModules;
  const container =
    opts.container ??
    (await createContainer({
      config,
      modules,
      log: fastify.log,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.database ? { database: opts.database } : {}),
      ...(opts.redis ? { redis: opts.redis } : {}),
      ...(opts.auditReads !== undefined ? { auditReads: opts.auditReads } : {}),
      ...(opts.webhookResolver ? { webhookResolver: opts.webhookResolver } : {}),
    }));
  if (!opts.container) fastify.addHook('onClose', () => container.close());
  const { clock, keys, policies, services } = container;
  if (opts.container) assertModulesMatchPolicy(modules, policies.access);

  await fastify.register(routeContractPlugin, { policy: policies.access });
  // Every refusal a service decided is audited before it is answered.
  await fastify.register(errorsPlugin, { beforeAnswer: createRefusalAuditor(() => services.audit) });
  decorateServiceContext(fastify);
  await fastify.register(inputGuardPlugin);
  await fastify.register(infraPlugin, { database: container.database, auditDatabase: container.auditDatabase, redis: container.redis });
  await fastify.register(helmet, { contentSecurityPolicy: false, global: true });
  // API answers carry case metadata, key material and tokens: no browser or proxy may keep them
  // (ASVS 14.3; found missing by test/security/owasp-api-top10). A route that sets its own
  // Cache-Control (the defender page's assets, the docs) keeps it.
  fastify.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  await fastify.register(rateLimit, {
    global: false,
    redis: container.redis,
    nameSpace: `${config.REDIS_PREFIX}:rl:`,
    // The routes that name a rateLimit are the credential ones (login, recovery, receipt,
    // enrolment...): without their counters anyone could guess freely, so a Redis outage answers
    // 503 there. Filing and the per-user limits fail open (plugins/route-limits.ts).
    skipOnError: false,
    // RateLimit-Limit, -Remaining, -Reset and Retry-After (documented on each route's 429).
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) => ({ statusCode: 429, code: 'FST_RATE_LIMITED', message: `retry in ${context.after}`, retryAfter: context.ttl }),
  });
  await fastify.register(openapiPlugin);
  await fastify.register(metricsPlugin, { queues: container.queues, token: config.METRICS_TOKEN, readReplica: container.readReplica });
  await fastify.register(operationsMetricsPlugin, {
    operations: container.repos.operations,
    clock,
    auditCheckpointIntervalSeconds: config.AUDIT_CHECKPOINT_INTERVAL_SECONDS,
    evidenceDirectory: config.FILE_STORE === 'disk' ? fileStorePath(config) : null,
    timestamps: config.TIMESTAMP_AUTHORITY_URL !== '',
  });

  fastify.decorate('container', container);
  fastify.decorate('config', config);

  await fastify.register(authPlugin, { config, keys, access: services.access, sessions: container.repos.sessions, clock });
  // The JWT plugin's signer, for the auth service's tokens.
  container.bindAccessTokenSigner((claims) => fastify.jwt.sign(claims, { clockTimestamp: clock.now().getTime() }));
  await fastify.register(routeLimitsPlugin, { config, limits: policies.limits, redis: container.redis, clock, key: keys.throttleKey });

  for (const m of modules) for (const r of m.routes) await r.register(fastify, container);
}

export default fp(app, { name: 'egide-app' });
