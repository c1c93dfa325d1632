import type { Role } from './policy.js';
import type { DecisionTrail } from '../audit/decision-trail.js';

export type StaffRole = Exclude<Role, 'defender'>;

/** Who is making a request, as established by the auth plugin from a live session. */
export type Principal =
  | { kind: 'user'; userId: string; role: StaffRole; orgId: string; sessionId: string }
  | { kind: 'defender'; role: 'defender'; caseId: string; sessionId: string }
  | { kind: 'anonymous' }
  | { kind: 'system' };

/** What every service call receives: who, and the request id that ties logs and audit together. */
export interface RequestContext {
  principal: Principal;
  requestId: string;
  /** what this request has decided and audited so far (HTTP requests; see audit/decision-trail.ts) */
  trail?: DecisionTrail;
}

/** The audit `actor`: an id, never a name. */
export function actorOf(p: Principal): string {
  switch (p.kind) {
    case 'user':
      return `u:${p.userId}`;
    case 'defender':
      return `d:${p.caseId}`;
    default:
      return p.kind;
  }
}

export function roleOf(p: Principal): string {
  return p.kind === 'user' || p.kind === 'defender' ? p.role : p.kind;
}

export const systemContext = (requestId: string): RequestContext => ({ principal: { kind: 'system' }, requestId });
