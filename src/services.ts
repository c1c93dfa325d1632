import type { Redis } from 'ioredis';
import type { Database } from './db/client.js';
import type { Config } from './config/config.js';
import type { Clock } from './lib/clock.js';
import type { ServerKeys } from './lib/server-keys.js';
import type { AccessPolicy } from './access/policy.js';
import { createAccessService } from './access/access-service.js';
import { createAuditRepository } from './audit/audit-repository.js';
import { createAuditService } from './audit/audit-service.js';
import { createSessionRepository } from './auth/session-repository.js';

export interface ServiceDeps {
  database: Database;
  redis: Redis;
  config: Config;
  clock: Clock;
  keys: ServerKeys;
  policy: AccessPolicy;
  /** Benchmarks compare audited reads with auditing off; nothing else turns it off. */
  auditReads?: boolean;
}

/**
 * Wires repositories into services. Each service factory receives only what it uses, so a
 * worker or the CLI can build the same services without the HTTP layer.
 */
export function createServices(deps: ServiceDeps) {
  const { database, clock, keys, policy } = deps;
  const db = database.db;
  const repos = {
    audit: createAuditRepository(db),
    sessions: createSessionRepository(db),
  };
  const audit = createAuditService({ repo: repos.audit, clock, signingSecretKey: keys.audit.secretKey });
  const access = createAccessService({ policy, audit });
  return { db, repos, audit, access };
}

export type Services = ReturnType<typeof createServices>;
