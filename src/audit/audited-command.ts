import type { Db, Tx } from '../db/client.js';
import { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AuditService } from './audit-service.js';
import { denialReason, newDecisionTrail, type DecisionTarget } from './decision-trail.js';

/**
 * A refusal found after access was granted (a wrong state, a guard, an id already taken): thrown
 * inside the command's transaction so that everything it wrote rolls back, the "allowed" audit
 * event included; the runner then audits the denial with the rule that refused it. A plain
 * AppError of a client status thrown there is a refusal too.
 */
export class Refusal extends Error {
  constructor(readonly error: AppError) {
    super(error.message);
  }
}

/** The refusal an error stands for: a Refusal's problem, or an AppError answering 4xx. Anything else is a failure, not a decision. */
export function refusalOf(err: unknown): AppError | null {
  if (err instanceof Refusal) return err.error;
  if (err instanceof AppError && err.status < 500) return err;
  return null;
}

export interface CommandTarget {
  action: string;
  resource: string;
  /** the case concerned, or a function giving it once the command has found it */
  caseId: string | null | (() => string | null);
}

/**
 * Audits a refusal as the request's one denied event, after whatever the request wrote has
 * rolled back, in its own write (the group commit). Nothing is written when the request has a
 * denial in the log already (the access service audited it) or is a public read nobody audits.
 * The target is the decision's: what the access service last decided for this request, else
 * the caller's.
 */
export async function auditRefusal(audit: Pick<AuditService, 'record'>, ctx: RequestContext, target: DecisionTarget, error: AppError): Promise<void> {
  const trail = ctx.trail;
  if (trail?.denied || trail?.unaudited) return;
  const fields = (error.extra.errors ?? []).map((e) => e.field);
  await audit.record(ctx, { action: target.action, resource: target.resource, caseId: target.caseId, outcome: 'denied', reason: denialReason(error.code, error.detail, fields) });
}

/**
 * Runs each command as one transaction: every write, the audit event of the allowed decision and
 * the outbox rows commit together or not at all; a refusal (a Refusal, or an AppError of a client
 * status) leaves nothing but its denial in the audit log.
 */
export function createCommandRunner(deps: { db: Db; audit: Pick<AuditService, 'record'> }) {
  return async function command<T>(ctx: RequestContext, target: CommandTarget, work: (tx: Tx) => Promise<T>): Promise<T> {
    // Outside HTTP (a test, the CLI) the context gets a trail here, so that a denial the access
    // service audited inside the command is not audited twice.
    ctx.trail ??= newDecisionTrail();
    try {
      return await deps.db.transaction(work);
    } catch (err) {
      const refusal = refusalOf(err);
      if (!refusal) throw err;
      const caseId = typeof target.caseId === 'function' ? target.caseId() : target.caseId;
      await auditRefusal(deps.audit, ctx, { action: target.action, resource: target.resource, caseId }, refusal);
      throw refusal;
    }
  };
}
