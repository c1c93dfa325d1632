import type { Redis } from 'ioredis';
import { createDatabase, type Database } from './db/client.js';
import { createReadReplica, REPLICA_POOL, type ReadReplica } from './db/read-replica.js';
import { createAuditExportReads } from './audit/audit-export-reads.js';
import type { Config } from './config/config.js';
import { systemClock, type Clock } from './lib/clock.js';
import { loadServerKeys, type ServerKeys } from './lib/server-keys.js';
import { policiesPath } from './lib/paths.js';
import { releaseOf } from './lib/release.js';
import { createApiRedis, createOnDemandRedis } from './lib/api-redis.js';
import { createQueueReaders, type QueueReaders } from './queues/queue-readers.js';
import { loadPolicies, type Policies } from './policies.js';
import { assertModulesMatchPolicy, type ModulePermissions } from './module-check.js';
import { createAccessService } from './access/access-service.js';
import { createAuditBatchWriter, createAuditRepository } from './audit/audit-repository.js';
import { createAuditService } from './audit/audit-service.js';
import { createSessionRepository } from './auth/session-repository.js';
import { createAuthService } from './auth/auth-service.js';
import { createAuthThrottle } from './auth/auth-throttle.js';
import { createCredentialChecks } from './auth/credential-checks.js';
import { createTotpResetService } from './auth/totp-reset-service.js';
import { createUserRepository } from './users/user-repository.js';
import { createUserService } from './users/user-service.js';
import { createOrgRepository } from './orgs/org-repository.js';
import { createKeyringRepository } from './keys/keyring-repository.js';
import type { AccessClaims } from './auth/access-claims.js';
import { createOrgQueries } from './orgs/org-queries.js';
import { createOrgService } from './orgs/org-service.js';
import { createSearchRepository } from './search/search-repository.js';
import { createSearchKeyService } from './search/search-key-service.js';
import { createSearchReindexService } from './search/search-reindex-service.js';
import { createSearchTokenService } from './search/search-token-service.js';
import { createCustodyService } from './custody/custody-service.js';
import { createCustodyRepository } from './custody/custody-repository.js';
import { createCustodyRewrapService } from './custody/custody-rewrap-service.js';
import { createAuditQueryService } from './audit/audit-query-service.js';
import { createCaseRepository } from './cases/case-repository.js';
import { createCaseService } from './cases/case-service.js';
import { createCaseWorkflowService } from './cases/case-workflow-service.js';
import { createTransitionGuards } from './cases/transition-guards.js';
import { createCaseListService } from './cases/case-list-service.js';
import { createCaseActionsService } from './cases/case-actions-service.js';
import { createSavedViewService } from './views/saved-view-service.js';
import { createSavedViewRepository } from './views/saved-view-repository.js';
import { createCaseListRepository } from './cases/case-list-repository.js';
import { createMessageService } from './messages/message-service.js';
import { createMessageRepository } from './messages/message-repository.js';
import { createIntakeService } from './intake/intake-service.js';
import { createDeadlineRepository } from './deadlines/deadline-repository.js';
import { createOutbox } from './outbox/outbox.js';
import { createDeadlineService } from './deadlines/deadline-service.js';
import { createAssessmentRepository } from './assessments/assessment-repository.js';
import { createReferralRepository } from './referrals/referral-repository.js';
import { createReferralService } from './referrals/referral-service.js';
import { createMeasureRepository } from './measures/measure-repository.js';
import { createMeasureService } from './measures/measure-service.js';
import { createConsoleService } from './console/console-service.js';
import { createCaseRekeyService } from './cases/case-rekey-service.js';
import { createCaseReceiptService } from './cases/case-receipt-service.js';
import { createNoteService } from './cases/note-service.js';
import { createNoteRepository } from './cases/note-repository.js';
import { createSealedContentRepository } from './cases/sealed-content-repository.js';
import { createAssessmentService } from './assessments/assessment-service.js';
import { createCaseReportRepository } from './reports/case-report-repository.js';
import { createCaseReportService } from './reports/case-report-service.js';
import { createAppealRepository } from './appeals/appeal-repository.js';
import { createAppealMeasureEffects } from './appeals/appeal-measure-effects.js';
import { createAppealService } from './appeals/appeal-service.js';
import { createCaseWithdrawalService, type WithdrawalPorts } from './cases/case-withdrawal-service.js';
import { createCaseTimelineService } from './cases/case-timeline-service.js';
import { createCaseExportService } from './cases/case-export-service.js';
import { createNotificationService } from './notifications/notification-service.js';
import { createWebhookService } from './notifications/webhook-service.js';
import { createNotificationRepository } from './notifications/notification-repository.js';
import { createWebhookRepository } from './notifications/webhook-repository.js';
import type { Resolver } from './notifications/webhook-target.js';
import { createDeadlineViewService } from './deadlines/deadline-view-service.js';
import { createDeadlineViewRepository } from './deadlines/deadline-view-repository.js';
import { createRetentionService } from './retention/retention-service.js';
import { createApprovalService } from './approvals/approval-service.js';
import { createApprovalRepository } from './approvals/approval-repository.js';
import { createRetentionRepository } from './retention/retention-repository.js';
import { createHealthService } from './health/health-service.js';
import { createPolicyViewService } from './policy-view/policy-view-service.js';
import { readPolicyDocuments } from './policy-view/policy-documents.js';
import { createCaseParticipation } from './access/case-participation.js';
import { createBreakGlassService } from './cases/break-glass-service.js';
import { createBreakGlassRepository } from './cases/break-glass-repository.js';
import { createUserKeyService } from './users/user-key-service.js';
import { createStaffDirectoryService } from './users/staff-directory-service.js';
import { createStaffOversightService } from './staff/staff-oversight-service.js';
import { createStaffOversightRepository } from './staff/staff-oversight-repository.js';
import { createEscalationRepository } from './escalation/escalation-repository.js';
import { createEscalationService } from './escalation/escalation-service.js';
import { createFileRepository } from './files/file-repository.js';
import { createFileService } from './files/file-service.js';
import { UploadHashes } from './files/upload-hashes.js';
import { createUploadServer } from './files/upload-server.js';
import type { EvidenceStore } from './files/stores/evidence-store.js';
import { createEvidenceStore } from './files/stores/create-evidence-store.js';
import { evidenceStoreConfig } from './files/evidence-store-config.js';
import { createFilingCeiling } from './limits/filing-ceiling.js';
import { silentLogger, type Logger } from './lib/logger.js';
import { createOnCallRepository } from './oncall/on-call-repository.js';
import { createOnCallService } from './oncall/on-call-service.js';
import { createStatsRepository } from './stats/stats-repository.js';
import { createStatsService } from './stats/stats-service.js';
import { createProtector, type Protector } from './stats/disclosure/index.js';
import { createPager } from './oncall/pager.js';
import { createOperationsRepository } from './health/operations-repository.js';

/** What the services are built from: the process's connections, keys and policies. */
interface ServiceCore {
  database: Database;
  /** The audit group commit's own connections: requests holding a transaction never starve it. */
  auditDatabase: Database;
  /** Where the statistics and the audit exports read (DATABASE_REPLICA_URL), the primary without; commands never. */
  readReplica: ReadReplica;
  redis: Redis;
  config: Config;
  clock: Clock;
  keys: ServerKeys;
  policies: Policies;
  /** Signs access tokens: the JWT plugin's signer, bound late (see `bindAccessTokenSigner`). */
  signAccessToken: (claims: AccessClaims) => string;
  auditReads?: boolean;
  webhookResolver?: Resolver;
  /** Where evidence files' ciphertext lives (FILE_STORE). */
  evidenceStore: EvidenceStore;
  /** Handles on the queues for looking at them (health, metrics, dashboard), on `redis`. */
  queues: QueueReaders;
  /** The disclosure control's worker thread, for the published report. */
  protector: Protector;
  log: Logger;
}

/** Wires repositories into services; each factory receives only what it uses. */
function buildServices(deps: ServiceCore) {
  const { database, redis, config, clock, keys, policies, signAccessToken } = deps;
  const policy = policies.access;
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
    notes: createNoteRepository(db),
    webhooks: createWebhookRepository(db),
    escalation: createEscalationRepository(db),
    files: createFileRepository(db),
    onCall: createOnCallRepository(db),
    stats: createStatsRepository(db, deps.readReplica),
    // The scrape-time figures of /metrics (plugins/operations-metrics.ts).
    operations: createOperationsRepository(database.sql),
  };
  const outbox = createOutbox();
  const audit = createAuditService({ repo: repos.audit, writeBatch: createAuditBatchWriter(deps.auditDatabase.sql), clock, signingSecretKey: keys.audit.secretKey });
  const access = createAccessService({ policy, audit, ...(deps.auditReads !== undefined ? { auditReads: deps.auditReads } : {}) });
  const throttle = createAuthThrottle({ redis, prefix: config.REDIS_PREFIX, key: keys.throttleKey, policy: policies.limits, clock });
  const checks = createCredentialChecks({ db, users: repos.users, throttle, audit, outbox, clock, keys });
  const auth = createAuthService({ db, redis, users: repos.users, sessions: repos.sessions, keyring: repos.keyring, audit, access, clock, config, keys, checks, signAccessToken, findCaseByVerifier: (v, tx) => repos.cases.byReceiptVerifier(v, tx, 'key share') });
  const totpReset = createTotpResetService({ db, redis, prefix: config.REDIS_PREFIX, users: repos.users, sessions: repos.sessions, audit, access, outbox, checks, throttle, clock, keys });
  const users = createUserService({ db, users: repos.users, orgs: repos.orgs, sessions: repos.sessions, keyring: repos.keyring, audit, access, clock, keys });
  const orgQueries = createOrgQueries(db);
  const orgs = createOrgService({ db, orgs: repos.orgs, queries: orgQueries, keyring: repos.keyring, users: repos.users, access, audit, clock });
  const auditQuery = createAuditQueryService({ audit, access, repo: repos.audit, signingPublicKey: keys.audit.publicKey, exportReads: createAuditExportReads({ repo: repos.audit, replica: deps.readReplica }) });
  const deadlines = createDeadlineService({ repo: repos.deadlines, policy: policies.deadlines, calendar: policies.calendar });
  const intake = createIntakeService({ db, cases: repos.cases, access, audit, clock, intake: policies.intake, deadlines, users: repos.users });
  // What a closing case stops (withdrawal of consent, or any closing transition): owned by the
  // measure, referral and appeal modules, run in the closing transaction. Bound late: those
  // services are built below.
  const openWork: WithdrawalPorts = {
    stopOpenMeasures: (caseId, reason, at, tx) => measures.stopOpenMeasures(caseId, reason, at, tx),
    withdrawOpenReferrals: (caseId, reason, at, tx, ctx) => referrals.withdrawOpenReferrals(caseId, reason, at, tx, ctx),
    dismissOpenAppeals: (caseId, reason, at, tx) => appealRepo.dismissOpen(caseId, reason, at, tx),
  };
  // Who among the supervisors is part of a case (else a break-glass): asked by every service that serves sealed content.
  const participation = createCaseParticipation({ db, policy: policies.breakGlass, clock });
  const workflow = createCaseWorkflowService({ db, cases: repos.cases, users: repos.users, deadlines, access, audit, participation, clock, workflow: policies.workflow, guards: createTransitionGuards(repos), openWork });
  const breakGlass = createBreakGlassService({ db, cases: repos.cases, breakGlass: createBreakGlassRepository(db), users: repos.users, outbox, access, audit, clock, policy: policies.breakGlass });
  const userKeys = createUserKeyService({ users: repos.users, access });
  const staffDirectory = createStaffDirectoryService({ users: repos.users, orgs: repos.orgs, access });
  const staffOversight = createStaffOversightService({ repo: createStaffOversightRepository(db), orgs: repos.orgs, access, clock });
  const messageRepo = createMessageRepository(db);
  const unreadMessages = (caseIds: readonly string[], reader: string) => messageRepo.unreadCounts(caseIds, reader);
  const cases = createCaseService({ cases: repos.cases, users: repos.users, keyring: repos.keyring, staffKeys: repos.notes, access, participation, audit, clock, db, unreadMessages });
  const caseList = createCaseListService({ lists: createCaseListRepository(database.sql), access, clock, unreadMessages, intake: policies.intake });
  const messages = createMessageService({ db, cases, caseRepo: repos.cases, messages: messageRepo, outbox, access, audit, clock });
  // --- protection workflow (one line per module) ---
  const assessments = createAssessmentService({ db, assessments: repos.assessments, cases: repos.cases, access, audit, participation, clock, risk: policies.risk });
  const measures = createMeasureService({ db, measures: repos.measures, cases: repos.cases, orgs: repos.orgs, deadlines, deadlineRepo: repos.deadlines, outbox, access, audit, participation, clock, catalogue: policies.measures, deadlinePolicy: policies.deadlines, calendar: policies.calendar, intake: policies.intake });
  const referrals = createReferralService({ db, cases: repos.cases, referrals: repos.referrals, orgs: repos.orgs, users: repos.users, deadlines, outbox, access, audit, clock, policy: policies.referrals, intake: policies.intake });
  const reports = createCaseReportService({ db, reports: createCaseReportRepository(db), cases: repos.cases, deadlines, deadlineRows: repos.deadlines, outbox, access, audit, participation, clock, intake: policies.intake });
  const appealRepo = createAppealRepository(db);
  const appeals = createAppealService({ db, appeals: appealRepo, cases: repos.cases, measures: createAppealMeasureEffects({ deadlines }), deadlines, outbox, access, audit, participation, clock, policy: policies.appeals });
  const approvals = createApprovalService({ approvals: createApprovalRepository(db), access });
  const caseTimeline = createCaseTimelineService({ cases: repos.cases, access });
  const caseExports = createCaseExportService({ db, caseService: cases, access, audit, clock });
  const withdrawal = createCaseWithdrawalService({
    db, cases: repos.cases, deadlines, outbox, access, audit, clock,
    ports: openWork,
  });
  const rekey = createCaseRekeyService({ db, cases: repos.cases, sealed: repos.sealedContent, notes: repos.notes, caseService: cases, users: repos.users, orgs: repos.orgs, access, audit, participation, clock });
  const receipts = createCaseReceiptService({ db, cases: repos.cases, sealed: repos.sealedContent, caseService: cases, users: repos.users, orgs: repos.orgs, sessions: repos.sessions, access, audit, participation, clock });
  const notes = createNoteService({ db, cases: repos.cases, caseService: cases, notes: repos.notes, users: repos.users, orgs: repos.orgs, access, audit, participation, clock });
  const savedViews = createSavedViewService({ db, views: createSavedViewRepository(db), access, audit, clock, limits: policies.limits });
  const caseActions = createCaseActionsService({ db, access, caseService: cases, workflowService: workflow, reports, workflow: policies.workflow, accessPolicy: policy });
  const notifications = createNotificationService({ db, notifications: createNotificationRepository(db), webhooks: repos.webhooks, access, audit, cases, clock });
  const webhooks = createWebhookService({ db, webhooks: repos.webhooks, outbox, orgs: repos.orgs, access, audit, clock, keys, allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS, ...(deps.webhookResolver ? { resolve: deps.webhookResolver } : {}) });
  const deadlineViews = createDeadlineViewService({ views: createDeadlineViewRepository(db), access, cases: repos.cases, policy: policies.deadlines, clock });
  const searchRepo = createSearchRepository(db);
  const retention = createRetentionService({ db, cases: repos.cases, sealed: repos.sealedContent, referrals: repos.referrals, notes: repos.notes, searchTokens: searchRepo, files: repos.files, outbox, retention: createRetentionRepository(db), deadlines, deadlineRepo: repos.deadlines, deadlinePolicy: policies.deadlines, access, audit, clock });
  // Fires the steps of deadline ladders: run by the workers' deadline-steps queue and reconciler.
  const escalation = createEscalationService({ db, repo: repos.escalation, cases: repos.cases, outbox, audit, clock, policy: policies.deadlines });
  // Evidence files: the tus server writes through the hashing wrapper of the store.
  const uploadHashes = new UploadHashes();
  const filingCeiling = createFilingCeiling({ redis, prefix: config.REDIS_PREFIX, key: keys.throttleKey, policy: policies.limits.filing, clock });
  const files = createFileService({ db, cases, caseRepo: repos.cases, files: repos.files, store: deps.evidenceStore, hashes: uploadHashes, filingCeiling, outbox, access, audit, clock, policy: policies.files, log: deps.log });
  const uploads = createUploadServer({
    datastore: uploadHashes.wrap(deps.evidenceStore.datastore),
    path: '/v1/uploads',
    maxSize: policies.files.maxFileBytes,
    onFinished: async (fileId, request) => {
      const ctx = files.contexts.get(request);
      if (!ctx) throw new Error('an upload finished outside a request the API authorised');
      await files.uploadFinished(fileId, ctx);
    },
  });
  const consoleCatalogues = createConsoleService({ access, policies });
  const policyView = createPolicyViewService({ access, documents: readPolicyDocuments(policiesPath(config)), loadedAt: clock.now() });
  const custodyRepo = createCustodyRepository(db);
  const health = createHealthService({ sql: database.sql, redis, access, keyring: repos.keyring, users: repos.users, orgs: repos.orgs, custody: custodyRepo, audit: repos.audit, queues: deps.queues, config, clock, ...releaseOf(config), minimumHolders: policies.custody.minimumHolders });
  // The blind index: the staff keyring of the search key and the tokens of each case.
  const searchKey = createSearchKeyService({ db, search: searchRepo, keyring: repos.keyring, users: repos.users, access, audit, clock, policy: policies.search });
  const searchReindex = createSearchReindexService({ db, search: searchRepo, cases: repos.cases, orgs: repos.orgs, keyring: repos.keyring, users: repos.users, access, audit, clock, policy: policies.search });
  const searchTokens = createSearchTokenService({ db, search: searchRepo, cases: repos.cases, access, participation, audit, clock, policy: policies.search, unreadMessages });
  // Custody of the mechanism key: holders, split backups recorded, restore with proof of possession.
  const custody = createCustodyService({ db, redis, prefix: config.REDIS_PREFIX, custody: custodyRepo, orgs: repos.orgs, orgQueries, search: searchRepo, keyring: repos.keyring, users: repos.users, access, audit, clock, policy: policies.custody });
  const custodyRewrap = createCustodyRewrapService({ db, custody: custodyRepo, orgs: repos.orgs, orgQueries, cases: repos.cases, notes: repos.notes, keyring: repos.keyring, access, audit, clock });
  // On call, out of office hours: the roster and pages (API), the pager (the workers' outbox tap).
  const onCall = createOnCallService({ db, repo: repos.onCall, access, audit, clock });
  const pager = createPager({ db, repo: repos.onCall, outbox, audit, clock, policy: policies.onCall, channels: { email: config.SMTP_URL !== '', sms: config.ONCALL_SMS_URL !== '' } });
  // Statistics from the roll-up (migration 0026), with disclosure control for what is published.
  const stats = createStatsService({ db, repo: repos.stats, access, audit, clock, policies, protect: deps.protector.protect });
  return {
    db, repos, audit, access, auth, totpReset, users, orgs, auditQuery, deadlines, intake, cases, workflow, caseList, messages,
    participation, breakGlass, userKeys, staffDirectory, staffOversight,
    assessments,
    measures,
    referrals,
    reports,
    appeals, approvals, caseTimeline, caseExports, withdrawal,
    rekey,
    receipts,
    notes,
    caseActions,
    savedViews,
    notifications, webhooks,
    deadlineViews,
    retention,
    escalation,
    health,
    policyView,
    consoleCatalogues,
    searchKey, searchTokens, searchReindex,
    custody,
    custodyRewrap,
    files, uploads,
    onCall, pager,
    stats,
  };
}

export type Services = ReturnType<typeof buildServices>;

export interface ContainerOptions {
  config: Config;
  clock?: Clock;
  /** A pool to use (tests, benchmarks); then not closed here. By default one of DATABASE_POOL_SIZE. */
  database?: Database;
  /** A Redis connection to use; then not closed here. By default a fail-fast one (createApiRedis). */
  redis?: Redis;
  /** Connect to Redis on first use only: the workers and the CLI, whose services seldom need it. */
  redisOnDemand?: boolean;
  /** Benchmarks compare audited reads with auditing off; nothing else turns it off. */
  auditReads?: boolean;
  /** How webhook registration resolves names (tests answer chosen addresses); the system resolver by default. */
  webhookResolver?: Resolver;
  /** The modules the process runs: their permissions are checked against the access policy before anything connects. */
  modules?: readonly ModulePermissions[];
  /** Where Redis connection errors go (at debug level: they surface through /readyz and the heartbeat), and the services' warnings. */
  log?: Logger;
  /** An evidence store to use (tests); then not closed here. By default the one FILE_STORE selects, started here. */
  evidenceStore?: EvidenceStore;
}

/** The process's object graph: what the API, the workers and the CLI take their parts from. */
export interface Container {
  config: Config;
  clock: Clock;
  database: Database;
  auditDatabase: Database;
  /** The replica the statistics and audit exports read, with its fallback to the primary. */
  readReplica: ReadReplica;
  redis: Redis;
  policies: Policies;
  keys: ServerKeys;
  /** Where evidence files' ciphertext lives. */
  evidenceStore: EvidenceStore;
  /** Handles on the queues for looking at them (health, metrics, the dashboard); closed with the container. */
  queues: QueueReaders;
  repos: Services['repos'];
  services: Services;
  /**
   * Binds the access-token signer: the JWT plugin registers after the services are built, and
   * only the API signs tokens (a worker or the CLI never binds one).
   */
  bindAccessTokenSigner(sign: (claims: AccessClaims) => string): void;
  /** Closes the connections the container opened (not those it was given). */
  close(): Promise<void>;
}

/**
 * The one composition root: validated config in, then the database pools, Redis, every policy
 * (each file read once), the server keys, the repositories and the services, built once.
 * `app.ts`, the workers (workers/worker.ts) and the CLI call it; none builds a service of its own.
 */
export async function createContainer(opts: ContainerOptions): Promise<Container> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  // Read before any connection opens: an invalid policy or secret stops the start with nothing to close.
  const policies = loadPolicies(policiesPath(config));
  if (opts.modules) assertModulesMatchPolicy(opts.modules, policies.access);
  const keys = await loadServerKeys(config);
  const database = opts.database ?? createDatabase(config.DATABASE_URL, { max: config.DATABASE_POOL_SIZE });
  // Two connections of its own for the audit group commit (postgres.js opens them on first use).
  const auditDatabase = createDatabase(config.DATABASE_URL, { max: 2 });
  // The statistics' and audit exports' reads; postgres.js connects on first use, so a replica
  // down at start does not stop it (those reads go to the primary meanwhile).
  const replicaDatabase = config.DATABASE_REPLICA_URL ? createDatabase(config.DATABASE_REPLICA_URL, REPLICA_POOL) : null;
  const readReplica = createReadReplica({ primary: database.db, replica: replicaDatabase, ...(opts.log ? { log: opts.log } : {}) });
  const evidenceStore = opts.evidenceStore ?? createEvidenceStore(evidenceStoreConfig(config), opts.log);
  if (!opts.evidenceStore) await evidenceStore.start();
  const redis = opts.redis ?? (opts.redisOnDemand ? createOnDemandRedis(config.REDIS_URL) : createApiRedis(config.REDIS_URL));
  // Without a listener ioredis reports connection errors as unhandled.
  redis.on('error', (err: Error) => opts.log?.debug({ err: { message: err.message } }, 'redis error'));
  const queues = createQueueReaders({ connection: redis, config, ...(opts.log ? { log: opts.log } : {}) });
  // No thread until the first published report.
  const protector = createProtector();

  let signer: ((claims: AccessClaims) => string) | undefined;
  const services = buildServices({
    database,
    auditDatabase,
    readReplica,
    redis,
    config,
    clock,
    keys,
    policies,
    evidenceStore,
    queues,
    protector,
    log: opts.log ?? silentLogger,
    signAccessToken: (claims) => {
      if (!signer) throw new Error('no access-token signer is bound in this process');
      return signer(claims);
    },
    ...(opts.auditReads !== undefined ? { auditReads: opts.auditReads } : {}),
    ...(opts.webhookResolver ? { webhookResolver: opts.webhookResolver } : {}),
  });

  let closing: Promise<void> | undefined;
  return {
    config,
    clock,
    database,
    auditDatabase,
    readReplica,
    redis,
    policies,
    keys,
    evidenceStore,
    queues,
    repos: services.repos,
    services,
    bindAccessTokenSigner(sign) {
      signer = sign;
    },
    close() {
      closing ??= (async () => {
        // The queue handles ride on `redis`: closing them leaves it open.
        await queues.close();
        await protector.close();
        if (!opts.database) await database.close();
        await auditDatabase.close();
        await replicaDatabase?.close();
        if (!opts.redis) redis.disconnect();
        if (!opts.evidenceStore) await evidenceStore.close();
      })();
      return closing;
    },
  };
}
