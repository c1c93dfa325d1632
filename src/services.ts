import type { Redis } from 'ioredis';
import type { Database } from './db/client.js';
import type { Config } from './config/config.js';
import type { Clock } from './lib/clock.js';
import type { ServerKeys } from './lib/server-keys.js';
import type { AccessPolicy } from './access/policy.js';
import { createAccessService } from './access/access-service.js';
import { createAuditBatchWriter, createAuditRepository } from './audit/audit-repository.js';
import { createAuditService } from './audit/audit-service.js';
import { createSessionRepository } from './auth/session-repository.js';
import { createAuthService } from './auth/auth-service.js';
import { createAuthThrottle } from './auth/auth-throttle.js';
import { createCredentialChecks } from './auth/credential-checks.js';
import { createTotpResetService } from './auth/totp-reset-service.js';
import type { LimitsPolicy } from './limits/limits-policy.js';
import { createUserRepository } from './users/user-repository.js';
import { createUserService } from './users/user-service.js';
import { createOrgRepository } from './orgs/org-repository.js';
import { createKeyringRepository } from './keys/keyring-repository.js';
import type { AccessClaims } from './auth/access-claims.js';
import { createOrgQueries } from './orgs/org-queries.js';
import { createOrgService } from './orgs/org-service.js';
import { createAuditQueryService } from './audit/audit-query-service.js';
import { createCaseRepository } from './cases/case-repository.js';
import { createCaseService } from './cases/case-service.js';
import { createCaseWorkflowService } from './cases/case-workflow-service.js';
import { createTransitionGuards } from './cases/transition-guards.js';
import { createCaseListService } from './cases/case-list-service.js';
import { createCaseListRepository } from './cases/case-list-repository.js';
import { createMessageService } from './messages/message-service.js';
import { createMessageRepository } from './messages/message-repository.js';
import type { WorkflowPolicy } from './cases/workflow-policy.js';
import { createIntakeService } from './intake/intake-service.js';
import type { IntakePolicy } from './intake/intake-policy.js';
import type { DeadlinePolicy } from './deadlines/deadline-policy.js';
import type { WorkCalendar } from './deadlines/calendar.js';
import { createDeadlineRepository } from './deadlines/deadline-repository.js';
import { createOutbox } from './outbox/outbox.js';
import { createDeadlineService } from './deadlines/deadline-service.js';
import { createAssessmentRepository } from './assessments/assessment-repository.js';
// (module imports: assessments, measures, referrals, reports, appeals, rekey)
import type { ReferralPolicy } from './referrals/referral-policy.js';
import { createReferralRepository } from './referrals/referral-repository.js';
import { createReferralService } from './referrals/referral-service.js';
import { createMeasureRepository } from './measures/measure-repository.js';
import { createMeasureService } from './measures/measure-service.js';
import type { MeasureCatalogue } from './measures/measure-catalogue.js';
import { createCaseRekeyService } from './cases/case-rekey-service.js';
import { createSealedContentRepository } from './cases/sealed-content-repository.js';
import { createAssessmentService } from './assessments/assessment-service.js';
import type { RiskPolicy } from './risk/risk-policy.js';
import { createCaseReportRepository } from './reports/case-report-repository.js';
import { createCaseReportService } from './reports/case-report-service.js';
import type { AppealPolicy } from './appeals/appeal-policy.js';
import { createAppealRepository } from './appeals/appeal-repository.js';
import { createAppealMeasureEffects } from './appeals/appeal-measure-effects.js';
import { createAppealService } from './appeals/appeal-service.js';
import { createCaseWithdrawalService, type WithdrawalPorts } from './cases/case-withdrawal-service.js';
import { createCaseTimelineService } from './cases/case-timeline-service.js';
import { createNotificationService } from './notifications/notification-service.js';
import { createWebhookService } from './notifications/webhook-service.js';
import { createNotificationRepository } from './notifications/notification-repository.js';
import { createWebhookRepository } from './notifications/webhook-repository.js';
import type { Resolver } from './notifications/webhook-target.js';
import { createDeadlineViewService } from './deadlines/deadline-view-service.js';
import { createDeadlineViewRepository } from './deadlines/deadline-view-repository.js';
import { createRetentionService } from './retention/retention-service.js';
import { createRetentionRepository } from './retention/retention-repository.js';
import { createHealthService } from './health/health-service.js';
import type { BreakGlassPolicy } from './access/break-glass-policy.js';
import { createCaseParticipation } from './access/case-participation.js';
import { createBreakGlassService } from './cases/break-glass-service.js';
import { createBreakGlassRepository } from './cases/break-glass-repository.js';
import { createUserKeyService } from './users/user-key-service.js';

export interface ServiceDeps {
  database: Database;
  /** The audit group commit's own connections (see plugins/infra.ts). */
  auditDatabase: Database;
  redis: Redis;
  config: Config;
  clock: Clock;
  keys: ServerKeys;
  policy: AccessPolicy;
  intakePolicy: IntakePolicy;
  deadlinePolicy: DeadlinePolicy;
  workflowPolicy: WorkflowPolicy;
  calendar: WorkCalendar;
  riskPolicy: RiskPolicy;
  measureCatalogue: MeasureCatalogue;
  /** policies/referrals.yaml */
  referralPolicy: ReferralPolicy;
  /** policies/appeals.yaml */
  appealPolicy: AppealPolicy;
  /** policies/limits.yaml */
  limits: LimitsPolicy;
  /** policies/break-glass.yaml: when a supervisor is part of a case, and the break-glass window */
  breakGlassPolicy: BreakGlassPolicy;
  /** Signs access tokens (the JWT plugin's signer; bound late because the plugin registers after the services). */
  signAccessToken: (claims: AccessClaims) => string;
  /** Benchmarks compare audited reads with auditing off; nothing else turns it off. */
  auditReads?: boolean;
  /** How webhook registration resolves names (tests answer chosen addresses); the system resolver by default. */
  webhookResolver?: Resolver;
}

/**
 * Wires repositories into services. Each service factory receives only what it uses, so a
 * worker or the CLI can build the same services without the HTTP layer.
 */
export function createServices(deps: ServiceDeps) {
  const { database, redis, config, clock, keys, policy, signAccessToken } = deps;
  const db = database.db;
  const repos = {
    audit: createAuditRepository(db),
    sessions: createSessionRepository(db),
    users: createUserRepository(db),
    orgs: createOrgRepository(db),
    keyring: createKeyringRepository(db),
    cases: createCaseRepository(db),
    deadlines: createDeadlineRepository(db),
    assessments: createAssessmentRepository(db),
    measures: createMeasureRepository(db),
    referrals: createReferralRepository(db),
    sealedContent: createSealedContentRepository(db),
    webhooks: createWebhookRepository(db),
  };
  const outbox = createOutbox();
  const audit = createAuditService({ repo: repos.audit, writeBatch: createAuditBatchWriter(deps.auditDatabase.sql), clock, signingSecretKey: keys.audit.secretKey });
  const access = createAccessService({ policy, audit, ...(deps.auditReads !== undefined ? { auditReads: deps.auditReads } : {}) });
  const throttle = createAuthThrottle({ redis, prefix: config.REDIS_PREFIX, key: keys.throttleKey, policy: deps.limits, clock });
  const checks = createCredentialChecks({ db, users: repos.users, throttle, audit, outbox, clock, keys });
  const auth = createAuthService({ db, redis, users: repos.users, sessions: repos.sessions, keyring: repos.keyring, audit, access, clock, config, keys, checks, signAccessToken, findCaseByVerifier: (v) => repos.cases.byReceiptVerifier(v) });
  const totpReset = createTotpResetService({ db, redis, prefix: config.REDIS_PREFIX, users: repos.users, sessions: repos.sessions, audit, access, outbox, checks, throttle, clock, keys });
  const users = createUserService({ db, users: repos.users, orgs: repos.orgs, sessions: repos.sessions, keyring: repos.keyring, audit, access, clock, keys });
  const orgs = createOrgService({ db, orgs: repos.orgs, queries: createOrgQueries(db), keyring: repos.keyring, users: repos.users, access, audit, clock });
  const auditQuery = createAuditQueryService({ audit, access, repo: repos.audit, signingPublicKey: keys.audit.publicKey });
  const deadlines = createDeadlineService({ repo: repos.deadlines, policy: deps.deadlinePolicy, calendar: deps.calendar });
  const intake = createIntakeService({ db, cases: repos.cases, access, audit, clock, intake: deps.intakePolicy, deadlines, users: repos.users });
  // What a closing case stops (withdrawal of consent, or any closing transition): owned by the
  // measure, referral and appeal modules, run in the closing transaction. Bound late: those
  // services are built below.
  const openWork: WithdrawalPorts = {
    stopOpenMeasures: (caseId, reason, at, tx) => measures.stopOpenMeasures(caseId, reason, at, tx),
    withdrawOpenReferrals: (caseId, reason, at, tx, ctx) => referrals.withdrawOpenReferrals(caseId, reason, at, tx, ctx),
    dismissOpenAppeals: (caseId, reason, at, tx) => appealRepo.dismissOpen(caseId, reason, at, tx),
  };
  const workflow = createCaseWorkflowService({ db, cases: repos.cases, users: repos.users, deadlines, access, audit, clock, workflow: deps.workflowPolicy, guards: createTransitionGuards(repos), openWork });
  // Who among the supervisors is part of a case (else a break-glass): asked by every service that serves sealed content.
  const participation = createCaseParticipation({ db, policy: deps.breakGlassPolicy, clock });
  const breakGlass = createBreakGlassService({ db, cases: repos.cases, breakGlass: createBreakGlassRepository(db), users: repos.users, outbox, access, audit, clock, policy: deps.breakGlassPolicy });
  const userKeys = createUserKeyService({ users: repos.users, access });
  const cases = createCaseService({ cases: repos.cases, users: repos.users, keyring: repos.keyring, access, participation, audit, clock, db });
  const caseList = createCaseListService({ lists: createCaseListRepository(database.sql), access, clock });
  const messages = createMessageService({ db, cases, caseRepo: repos.cases, messages: createMessageRepository(db), outbox, access, audit, clock });
  // --- protection workflow (one line per module) ---
  const assessments = createAssessmentService({ db, assessments: repos.assessments, cases: repos.cases, access, audit, participation, clock, risk: deps.riskPolicy });
  const measures = createMeasureService({ db, measures: repos.measures, cases: repos.cases, orgs: repos.orgs, deadlines, deadlineRepo: repos.deadlines, outbox, access, audit, participation, clock, catalogue: deps.measureCatalogue, deadlinePolicy: deps.deadlinePolicy, calendar: deps.calendar, intake: deps.intakePolicy });
  const referrals = createReferralService({ db, cases: repos.cases, referrals: repos.referrals, orgs: repos.orgs, users: repos.users, deadlines, outbox, access, audit, clock, policy: deps.referralPolicy, intake: deps.intakePolicy });
  const reports = createCaseReportService({ db, reports: createCaseReportRepository(db), cases: repos.cases, deadlines, deadlineRows: repos.deadlines, outbox, access, audit, participation, clock, intake: deps.intakePolicy });
  const appealRepo = createAppealRepository(db);
  const appeals = createAppealService({ db, appeals: appealRepo, cases: repos.cases, measures: createAppealMeasureEffects({ deadlines }), deadlines, outbox, access, audit, participation, clock, policy: deps.appealPolicy });
  const caseTimeline = createCaseTimelineService({ cases: repos.cases, access });
  const withdrawal = createCaseWithdrawalService({
    db, cases: repos.cases, deadlines, outbox, access, audit, clock,
    ports: openWork,
  });
  const rekey = createCaseRekeyService({ db, cases: repos.cases, sealed: repos.sealedContent, caseService: cases, users: repos.users, orgs: repos.orgs, access, audit, participation, clock });
  const notifications = createNotificationService({ db, notifications: createNotificationRepository(db), webhooks: repos.webhooks, access, audit, cases, clock });
  const webhooks = createWebhookService({ db, webhooks: repos.webhooks, orgs: repos.orgs, access, audit, clock, keys, allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS, ...(deps.webhookResolver ? { resolve: deps.webhookResolver } : {}) });
  const deadlineViews = createDeadlineViewService({ views: createDeadlineViewRepository(db), access, cases: repos.cases, policy: deps.deadlinePolicy, clock });
  const retention = createRetentionService({ db, cases: repos.cases, sealed: repos.sealedContent, referrals: repos.referrals, retention: createRetentionRepository(db), deadlines, deadlineRepo: repos.deadlines, access, audit, clock });
  const health = createHealthService({ sql: database.sql, redis, access, keyring: repos.keyring, users: repos.users });
  return {
    db, repos, audit, access, auth, totpReset, users, orgs, auditQuery, deadlines, intake, cases, workflow, caseList, messages,
    participation, breakGlass, userKeys,
    assessments,
    measures,
    referrals,
    reports,
    appeals, caseTimeline, withdrawal,
    rekey,
    notifications, webhooks,
    deadlineViews,
    retention,
    health,
  };
}

export type Services = ReturnType<typeof createServices>;
