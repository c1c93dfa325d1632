import type { FastifyRequest } from 'fastify';
import type { AuditService } from '../audit/audit-service.js';
import { auditRefusal, refusalOf } from '../audit/audited-command.js';
import { AppError } from '../lib/problem.js';

/**
 * What the error handler runs before it answers an error: every refusal a service decided is in
 * the audit log exactly once. Services audit most of theirs themselves (the access service its
 * denials, the command runner what it refused inside a transaction); this audits the rest (a check
 * after authorisation but outside any command, a transaction a service ran without the runner),
 * after the request's transaction has rolled back, against the target of the decision the service
 * took, or the route's action when it refused before asking the policy anything.
 *
 * A request refused before any service ran (schema, token, rate limit, unknown route) is not a
 * decision about anything: it is logged here and counted in /metrics
 * (egide_http_refused_before_service_total), never written to the chain, so nobody can fill the
 * append-only log with junk.
 */
export function createRefusalAuditor(audit: () => Pick<AuditService, 'record'>) {
  return async function auditRequestRefusal(request: FastifyRequest, error: unknown): Promise<void> {
    const ctx = request.serviceContext;
    if (!ctx) {
      const e = error as { code?: string; statusCode?: number; validation?: unknown };
      const status = error instanceof AppError ? error.status : (e.statusCode ?? (e.validation ? 400 : 500));
      if (status < 500) request.log.info({ status, code: error instanceof AppError ? error.code : e.validation ? 'validation_failed' : e.code }, 'refused before any service ran');
      return;
    }
    const refusal = refusalOf(error);
    if (!refusal) return;
    const trail = ctx.trail;
    if (trail?.allowedCommitted && !trail.denied) {
      // A service refused after its allowed read event was committed: the request now holds two events.
      request.log.error({ code: refusal.code, target: trail.target }, 'a refusal after an audited allowed read: the check belongs before the authorisation');
    }
    const method = request.routeOptions.method;
    const target = trail?.target ?? { action: String(request.routeOptions.config?.action ?? 'unknown'), resource: `route:${Array.isArray(method) ? method.join(',') : method} ${request.routeOptions.url ?? ''}`, caseId: null };
    await auditRefusal(audit(), ctx, target, refusal);
  };
}
