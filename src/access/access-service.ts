import { AppError } from '../lib/problem.js';
import type { AuditRecord, AuditService } from '../audit/audit-service.js';
import type { Tx } from '../db/client.js';
import { denialReason } from '../audit/decision-trail.js';
import type { AccessPolicy, Condition, Role, Scope } from './policy.js';
import type { Principal, RequestContext } from './principal.js';

/**
 * What a service knows about the resource being touched, so the policy's scopes can be
 * evaluated. Services fill in only what the action's scopes need.
 */
export interface ScopeFacts {
  /** The resource is the caller's own account or session. */
  self?: boolean;
  caseState?: string;
  assigneeId?: string | null;
  caseId?: string | null;
  orgId?: string | null;
  keyHolder?: boolean;
  /** The caller is part of the case (src/access/case-participation.ts decides). */
  participant?: boolean;
  /** The caller's open break-glass on the case, if any (src/access/case-participation.ts). */
  breakGlassId?: string | null;
  proposerId?: string | null;
  deciderId?: string | null;
  /** who a case key is being given to */
  granteeId?: string | null;
}

export interface AccessTarget {
  /** e.g. `case:<id>`, `user:<id>`, `audit` */
  resource: string;
  caseId?: string | null;
  facts?: ScopeFacts;
  /**
   * false: the resource does not exist. Whatever the caller's scope, the answer is 404 and the
   * one event of the request is that denial (a read must not log an allowed event and then refuse).
   */
  found?: boolean;
  /**
   * A refusal the service has found before asking (a purged case, a state that allows no read):
   * given once the policy allows the caller, it is the decision, audited as the one denial.
   */
  refusal?: AppError | null;
}

const scopeHolds: Record<Scope, (p: Principal, f: ScopeFacts) => boolean> = {
  all: () => true,
  self: (_p, f) => f.self === true,
  own: (p, f) => p.kind === 'defender' && f.caseId != null && f.caseId === p.caseId,
  pool: (_p, f) => f.caseState === 'received',
  assigned: (p, f) => p.kind === 'user' && f.assigneeId != null && f.assigneeId === p.userId,
  participant: (_p, f) => f.participant === true,
  break_glass: (_p, f) => f.breakGlassId != null,
  organisation: (p, f) => p.kind === 'user' && f.orgId != null && f.orgId === p.orgId,
  key_holder: (_p, f) => f.keyHolder === true,
};

const conditionHolds: Record<Condition, (p: Principal, f: ScopeFacts) => boolean> = {
  proposer: (p, f) => p.kind === 'user' && f.proposerId === p.userId,
  decider: (p, f) => p.kind === 'user' && f.deciderId === p.userId,
  grantee: (p, f) => p.kind === 'user' && f.granteeId === p.userId,
};

/** The action of every read served through a break-glass: one filter finds them all. */
export const BREAK_GLASS_READ = 'break_glass.read';

/** The break-glass a decision rests on: its scope, or the one the service says it serves through. */
function breakGlassOf(scope: Scope, facts: ScopeFacts | undefined, given: string | null | undefined): string | null {
  if (given) return given;
  return scope === 'break_glass' ? (facts?.breakGlassId ?? null) : null;
}

/**
 * The audit event of an allowed decision. A read through a break-glass is recorded as
 * `break_glass.read` with the break-glass id and the permission it used, so that one filter finds
 * every such read and each names its window (the written reason stays in the break_glass table);
 * a command through one (a re-key) keeps its action, its reason prefixed with the id.
 */
function allowedEvent(action: string, resource: string, caseId: string | null, reason: string | null, breakGlassId: string | null, read: boolean): AuditRecord {
  if (!breakGlassId) return { action, resource, caseId, outcome: 'allowed', reason };
  if (read) return { action: BREAK_GLASS_READ, resource, caseId, outcome: 'allowed', reason: `break_glass ${breakGlassId} (${action})` };
  return { action, resource, caseId, outcome: 'allowed', reason: `break_glass ${breakGlassId}${reason ? `: ${reason}` : ''}` };
}

export interface AuthorizeOptions {
  /** false: the service audits the action itself, with richer detail (a login) */
  audit?: boolean;
  /** a read: its allowed event joins the group commit, outside any transaction */
  read?: boolean;
  /** a read whose caller awaits `audited` itself, running its query meanwhile */
  deferAudit?: boolean;
  /** written into the allowed event (what the change is) */
  reason?: string | null;
  /** the break-glass the service serves sealed content through */
  breakGlassId?: string | null;
}

/** What an allowed decision gives: its scope, and the write of its audit event (settled unless the read deferred it). */
export interface Grant {
  scope: Scope;
  audited: Promise<void>;
}

const DONE: Promise<void> = Promise.resolve();

export type Decision = { allowed: true; scope: Scope } | { allowed: false; error: AppError; reason: string };

export type AccessService = ReturnType<typeof createAccessService>;

/**
 * The one place where the access policy (policies/access.yaml) is enforced. Services call
 * `authorize` before acting; a denial is written to the audit log at once (in its own
 * transaction, since the caller's will not commit) and thrown as 403 (role may never do this)
 * 404 (out of scope, or no such resource: existence is not revealed) or 409 (separation of
 * duties), its reason starting with that problem code. An allowed decision is audited in the
 * caller's transaction, with the change it permits. Each decision is noted on the request's
 * trail, so that a refusal the service finds afterwards is audited once, against this target.
 */
export function createAccessService(deps: { policy: AccessPolicy; audit: Pick<AuditService, 'record'>; auditReads?: boolean }) {
  const { policy, audit } = deps;
  // Only the benchmark turns this off, to measure what auditing every read costs.
  const auditReads = deps.auditReads !== false;

  function decide(principal: Principal, action: string, facts: ScopeFacts): Decision {
    const rule = policy.get(action);
    if (!rule) return { allowed: false, reason: `unknown action ${action}`, error: new AppError('forbidden') };
    if (rule.public) return { allowed: true, scope: 'all' };
    if (principal.kind !== 'user' && principal.kind !== 'defender') {
      return { allowed: false, reason: 'not authenticated', error: new AppError('unauthenticated') };
    }
    const perm = rule.roles[principal.role as Role];
    if (!perm) return { allowed: false, reason: `role ${principal.role} may not ${action}`, error: new AppError('forbidden', `role ${principal.role} may not ${action}`) };
    const scope = perm.scopes.find((s) => scopeHolds[s](principal, facts));
    if (!scope) {
      // A role that may read a case through a break-glass sees every case's metadata already, so
      // a 404 would hide nothing: it is told what would open the case instead.
      if (perm.scopes.includes('break_glass') && facts.caseId != null) {
        return { allowed: false, reason: 'outside the case: no open break-glass', error: new AppError('break_glass_required', `you are not part of this case: open a break-glass with a written reason (POST /v1/cases/${facts.caseId}/break-glass) to read its sealed content`) };
      }
      return { allowed: false, reason: 'out of scope', error: new AppError('not_found') };
    }
    const blocked = perm.unless.find((c) => conditionHolds[c](principal, facts));
    if (blocked) return { allowed: false, reason: `the ${blocked} may not ${action}`, error: new AppError('separation_of_duties', `the ${blocked} may not ${action}`) };
    return { allowed: true, scope };
  }

  /** The policy's decision, then what the service knows about the resource itself. */
  function judge(principal: Principal, action: string, target: AccessTarget): Decision {
    const decision = decide(principal, action, { caseId: target.caseId ?? null, ...target.facts });
    if (!decision.allowed) return decision;
    if (target.found === false) return { allowed: false, reason: 'no such resource', error: new AppError('not_found') };
    if (target.refusal) return { allowed: false, reason: target.refusal.detail ?? '', error: target.refusal };
    return decision;
  }

  /** Notes the decision on the request's trail, and audits and throws a denial. */
  async function settle(ctx: RequestContext, action: string, target: AccessTarget, decision: Decision): Promise<void> {
    const caseId = target.caseId ?? null;
    if (ctx.trail) ctx.trail.target = { action, resource: target.resource, caseId };
    if (decision.allowed) return;
    const fields = (decision.error.extra.errors ?? []).map((e) => e.field);
    await audit.record(ctx, { action, resource: target.resource, caseId, outcome: 'denied', reason: denialReason(decision.error.code, decision.reason, fields) });
    throw decision.error;
  }

  return {
    /**
     * Would the policy allow this, on these facts? Nothing audited, nothing thrown: for a list
     * that narrows its query to what the caller may see (it then asks `authorize` for the list).
     */
    permits(principal: Principal, action: string, facts: ScopeFacts): boolean {
      return decide(principal, action, facts).allowed;
    },

    /**
     * The problem code the policy would refuse this with, on these facts, or null when it allows
     * it. Nothing audited, nothing thrown: for telling a caller what they may do on a resource.
     */
    refusalCode(principal: Principal, action: string, facts: ScopeFacts): string | null {
      const d = decide(principal, action, facts);
      return d.allowed ? null : d.error.code;
    },

    /** Does the role hold the action at all (any scope)? For listing what a route allows. */
    roleMay(role: Role, action: string): boolean {
      return policy.get(action)?.roles[role] !== undefined;
    },

    isPublic(action: string): boolean {
      return policy.get(action)?.public === true;
    },

    /**
     * The one authorisation: checks, audits, and returns the scope that allowed it. A denial is
     * audited at once and thrown. The allowed event is written in `tx` with the change it permits;
     * a read's joins the group commit instead (it changes nothing, so it needs no place in the
     * read's transaction) and is awaited here, unless `deferAudit`: then the caller's query runs
     * while it is written, and the caller awaits `audited` before answering (nothing is served
     * before its record is on disk).
     *
     * `audit: false` is for actions the service audits itself with richer detail (e.g. a login);
     * `read: true` marks a read; `breakGlassId`: the service serves sealed content through that
     * break-glass (on an action whose scope holds anyway, e.g. a list that withholds sealed values otherwise).
     */
    async authorize(ctx: RequestContext, action: string, target: AccessTarget, tx?: Tx, opts: AuthorizeOptions = {}): Promise<Grant> {
      const decision = judge(ctx.principal, action, target);
      // A public read nobody audits (it would let anyone grow the chain): its refusals neither.
      if (ctx.trail && opts.audit === false && opts.read === true && policy.get(action)?.public) ctx.trail.unaudited = true;
      await settle(ctx, action, target, decision);
      if (!decision.allowed) throw decision.error;
      const caseId = target.caseId ?? null;
      const viaBreakGlass = breakGlassOf(decision.scope, target.facts, opts.breakGlassId);
      const read = opts.read === true;
      if (opts.audit === false || !(auditReads || !read || viaBreakGlass)) return { scope: decision.scope, audited: DONE };
      const audited = audit.record(ctx, allowedEvent(action, target.resource, caseId, opts.reason ?? null, viaBreakGlass, read), read ? undefined : tx);
      if (read && opts.deferAudit) {
        // Awaited by the caller; a failure before then must not surface as an unhandled rejection.
        audited.catch(() => undefined);
        return { scope: decision.scope, audited };
      }
      await audited;
      return { scope: decision.scope, audited: DONE };
    },
  };
}
