import type { Db, Tx } from '../db/client.js';
import type { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AuditService } from './audit-service.js';

/**
 * A refusal found after access was granted (a wrong state, a guard, an id already taken): thrown
 * inside the command's transaction so that everything it wrote rolls back, the "allowed" audit
 * event included; the runner then audits the denial with the rule that refused it.
 */
export class Refusal extends Error {
  constructor(readonly error: AppError) {
    super(error.message);
  }
}

export interface CommandTarget {
  action: string;
  resource: string;
  /** the case concerned, or a function giving it once the command has found it */
  caseId: string | null | (() => string | null);
}

/**
 * Runs each command as one transaction: every write, the audit event of the allowed decision and
 * the outbox rows commit together or not at all; a Refusal leaves nothing but its denial in the
 * audit log.
 */
export function createCommandRunner(deps: { db: Db; audit: Pick<AuditService, 'record'> }) {
  return async function command<T>(ctx: RequestContext, target: CommandTarget, work: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await deps.db.transaction(work);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      const caseId = typeof target.caseId === 'function' ? target.caseId() : target.caseId;
      await deps.audit.record(ctx, { action: target.action, resource: target.resource, caseId, outcome: 'denied', reason: err.error.detail ?? err.error.code });
      throw err.error;
    }
  };
}

export type CommandRunner = ReturnType<typeof createCommandRunner>;
