import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from './config/config.js';
import type { Database } from './db/client.js';
import { systemClock, type Clock } from './lib/clock.js';
import { loadServerKeys } from './lib/server-keys.js';
import { loadAccessPolicy } from './access/policy.js';
import { loadIntakePolicy } from './intake/intake-policy.js';
import { loadCalendarPolicy, loadDeadlinePolicy } from './deadlines/deadline-policy.js';
import { loadReferralPolicy } from './referrals/referral-policy.js';
import referralRoutes from './referrals/referral-routes.js';
import caseRoutes from './cases/case-routes.js';
import caseWorkflowRoutes from './cases/case-workflow-routes.js';
import caseListRoutes from './cases/case-list-routes.js';
import messageRoutes from './messages/message-routes.js';
import measureRoutes from './measures/measure-routes.js';
import caseRekeyRoutes from './cases/case-rekey-routes.js';
import { loadWorkflowPolicy } from './cases/workflow-policy.js';
import { loadAppealPolicy } from './appeals/appeal-policy.js';
import appealRoutes from './appeals/appeal-routes.js';
import caseTimelineRoutes from './cases/case-timeline-routes.js';
import caseWithdrawalRoutes from './cases/case-withdrawal-routes.js';
import { createServices, type Services } from './services.js';
import assessmentRoutes from './assessments/assessment-routes.js';
import caseReportRoutes from './reports/case-report-routes.js';
import notificationRoutes from './notifications/notification-routes.js';
import webhookRoutes from './notifications/webhook-routes.js';
import type { Resolver } from './notifications/webhook-target.js';
import { registerQueueDashboard } from './plugins/queue-dashboard.js';
import deadlineViewRoutes from './deadlines/deadline-view-routes.js';
import retentionRoutes from './retention/retention-routes.js';
import defenderPage from './plugins/defender-page.js';
import errorsPlugin from './plugins/errors.js';
import { decorateServiceContext } from './plugins/context.js';
import { createRefusalAuditor } from './plugins/refusal-audit.js';
import inputGuardPlugin from './plugins/input-guard.js';
import infraPlugin from './plugins/infra.js';
import authPlugin from './plugins/auth.js';
import routeContractPlugin from './plugins/route-contract.js';
import openapiPlugin from './plugins/openapi.js';
import metricsPlugin from './plugins/metrics.js';
import healthPlugin from './plugins/health.js';
import adminHealthRoutes from './health/admin-health-routes.js';
import authRoutes from './auth/auth-routes.js';
import userRoutes from './users/user-routes.js';
import orgRoutes from './orgs/org-routes.js';
import keyRoutes from './keys/key-routes.js';
import auditRoutes from './audit/audit-routes.js';
import { policiesPath, webPath } from './lib/paths.js';
import { loadRiskPolicy } from './risk/risk-policy.js';
import { loadMeasureCatalogue } from './measures/measure-catalogue.js';
import { loadLimitsPolicy } from './limits/limits-policy.js';
import routeLimitsPlugin from './plugins/route-limits.js';
import { loadBreakGlassPolicy } from './access/break-glass-policy.js';
import breakGlassRoutes from './cases/break-glass-routes.js';
import userKeyRoutes from './users/user-key-routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    config: Config;
  }
}

export interface AppOptions {
  config: Config;
  clock?: Clock;
  database?: Database;
  redis?: Redis;
  auditReads?: boolean;
  /** How webhook registration resolves names (tests answer chosen addresses); the system resolver by default. */
  webhookResolver?: Resolver;
}

export { policiesPath };

/**
 * The whole API as one plugin (fastify/demo style): infrastructure first, then the app's
 * decorators, then the routes. `server.ts` only creates the instance and listens; tests
 * register this plugin on their own instance.
 */
async function app(fastify: FastifyInstance, opts: AppOptions) {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const policy = loadAccessPolicy(policiesPath(config));
  const intakePolicy = loadIntakePolicy(policiesPath(config));
  const deadlinePolicy = loadDeadlinePolicy(policiesPath(config));
  const calendar = loadCalendarPolicy(policiesPath(config));
  const referralPolicy = loadReferralPolicy(policiesPath(config));
  const workflowPolicy = loadWorkflowPolicy(policiesPath(config), policy);
  const appealPolicy = loadAppealPolicy(policiesPath(config));
  const riskPolicy = loadRiskPolicy(policiesPath(config));
  const measureCatalogue = loadMeasureCatalogue(policiesPath(config));
  const limits = loadLimitsPolicy(policiesPath(config));
  const breakGlassPolicy = loadBreakGlassPolicy(policiesPath(config));
  const keys = await loadServerKeys(config);

  await fastify.register(routeContractPlugin, { policy });
  // Every refusal a service decided is audited before it is answered; the audit service is built
  // below, once the database is connected (bound late, like the token signer).
  let refusalAudit: Services['audit'] | undefined;
  const auditRefusals = createRefusalAuditor(() => {
    if (!refusalAudit) throw new Error('a refusal to audit before the services were built');
    return refusalAudit;
  });
  await fastify.register(errorsPlugin, { beforeAnswer: auditRefusals });
  decorateServiceContext(fastify);
  await fastify.register(inputGuardPlugin);
  await fastify.register(infraPlugin, { config, ...(opts.database ? { database: opts.database } : {}), ...(opts.redis ? { redis: opts.redis } : {}) });
  await fastify.register(helmet, { contentSecurityPolicy: false, global: true });
  // API answers carry case metadata, key material and tokens: no browser or proxy may keep them
  // (ASVS 14.3; found missing by test/security/owasp-api-top10). A route that sets its own
  // Cache-Control (the defender page's assets, the docs) keeps it.
  fastify.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  await fastify.register(rateLimit, {
    global: false,
    redis: fastify.redis,
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
  await fastify.register(metricsPlugin, { config, token: config.METRICS_TOKEN });

  const services = createServices({ database: fastify.database, auditDatabase: fastify.auditDatabase, redis: fastify.redis, config, clock, keys, policy, intakePolicy, deadlinePolicy, calendar, workflowPolicy, referralPolicy, appealPolicy, riskPolicy, measureCatalogue, limits, breakGlassPolicy, signAccessToken: (claims) => fastify.jwt.sign(claims, { clockTimestamp: clock.now().getTime() }), ...(opts.auditReads !== undefined ? { auditReads: opts.auditReads } : {}), ...(opts.webhookResolver ? { webhookResolver: opts.webhookResolver } : {}) });
  fastify.decorate('services', services);
  refusalAudit = services.audit;
  fastify.decorate('config', config);

  await fastify.register(authPlugin, { config, keys, access: services.access, sessions: services.repos.sessions, clock });
  await fastify.register(routeLimitsPlugin, { config, limits, redis: fastify.redis, clock, key: keys.throttleKey });
  await fastify.register(healthPlugin, { health: services.health });
  await fastify.register(adminHealthRoutes, { health: services.health });

  await fastify.register(authRoutes);
  await fastify.register(userRoutes);
  await fastify.register(userKeyRoutes, { userKeys: services.userKeys });
  await fastify.register(orgRoutes, { orgs: services.orgs });
  await fastify.register(keyRoutes, { orgs: services.orgs });
  await fastify.register(auditRoutes);
  await fastify.register(caseRoutes, { intake: services.intake, cases: services.cases });
  await fastify.register(caseWorkflowRoutes, { workflow: workflowPolicy, service: services.workflow });
  await fastify.register(caseListRoutes, { caseList: services.caseList });
  await fastify.register(messageRoutes, { messages: services.messages });
  await fastify.register(assessmentRoutes, { assessments: services.assessments });
  await fastify.register(measureRoutes, { measures: services.measures });
  await fastify.register(referralRoutes, { referrals: services.referrals });
  await fastify.register(caseReportRoutes, { reports: services.reports });
  await fastify.register(appealRoutes, { appeals: services.appeals });
  await fastify.register(caseTimelineRoutes, { timeline: services.caseTimeline });
  await fastify.register(caseWithdrawalRoutes, { withdrawal: services.withdrawal });
  await fastify.register(caseRekeyRoutes, { rekey: services.rekey });
  await fastify.register(breakGlassRoutes, { breakGlass: services.breakGlass });
  await fastify.register(notificationRoutes, { notifications: services.notifications });
  await fastify.register(webhookRoutes, { webhooks: services.webhooks });
  await fastify.register(deadlineViewRoutes, { deadlineViews: services.deadlineViews });
  await registerQueueDashboard(fastify, { config, redis: fastify.redis, access: services.access });
  await fastify.register(retentionRoutes, { retention: services.retention });
  await fastify.register(defenderPage, { config, intakePolicy, dir: webPath(config) });
}

export default fp(app, { name: 'egide-app' });
