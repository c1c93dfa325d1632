import { AppError, validationFailed, type FieldError } from '../lib/problem.js';
import { CryptoError } from '../sdk/index.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseRepository, CaseRow } from '../cases/case-repository.js';
import type { Outbox } from '../outbox/outbox.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import type { ReferralPolicy } from './referral-policy.js';
import type { ReferralRepository, ReferralRow } from './referral-repository.js';
import { createViews, partnerMaySee } from './referral-views.js';
import type { IntakePolicy } from '../intake/intake-policy.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { caseScope } from '../access/case-scope.js';

/** What the referral commands are built from (src/referrals/referral-service.ts composes them). */
export interface ReferralDeps {
  db: Db;
  cases: Pick<CaseRepository, 'byId' | 'byIdForUpdate' | 'addTimeline'>;
  referrals: ReferralRepository;
  orgs: Pick<OrgRepository, 'byId' | 'currentKey'>;
  users: Pick<UserRepository, 'byId'>;
  deadlines: Pick<DeadlineService, 'apply'>;
  outbox: Outbox;
  access: Pick<AccessService, 'authorize' | 'refusalCode'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: ReferralPolicy;
  /** the consentChannel codes an oral consent may name */
  intake: Pick<IntakePolicy, 'has'>;
}

export const refuse = (...args: ConstructorParameters<typeof AppError>): AppError => new AppError(...args);
export const invalid = (detail: string, errors: FieldError[]): AppError => validationFailed(detail, errors);

/** Commands that name their author are made by signed-in users (the defender consents through `consentBy`). */
export function userIdOf(ctx: RequestContext): string {
  if (ctx.principal.kind !== 'user') throw new AppError('forbidden');
  return ctx.principal.userId;
}

export const cryptoMessage = (err: unknown): string => (err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid');

export type ReferralCommands = ReturnType<typeof createReferralCommands>;

/** What every referral command shares: the audited transaction on the locked case and referral, the timeline, the end of access. */
export function createReferralCommands(deps: ReferralDeps) {
  const { db, cases, referrals, orgs, audit, access, policy } = deps;
  const views = createViews(policy);

  const command = createCommandRunner({ db, audit });

  /**
   * Scope facts of a referral: its case for staff and the defender (who acts on their own case's
   * referrals; what they may read is narrower, see referral-reads.ts), its organisation for the
   * partner, but only while the partner may see it (never before it is sent, never after a
   * withdrawal): otherwise the partner is out of scope and gets 404, as for a referral that does
   * not exist.
   */
  function factsOf(r: ReferralRow | undefined, c: CaseRow | undefined): ScopeFacts {
    if (!r || !c) return {};
    return { ...caseScope(c), orgId: partnerMaySee(r) ? r.orgId : null };
  }

  /**
   * A command on an existing referral: locks its case then the referral, authorises (audited in
   * the transaction), then runs `fn`, which throws an AppError for a state that does not allow it.
   */
  async function onReferral<T>(ctx: RequestContext, referralId: string, action: string, reason: string | null, fn: (r: ReferralRow, c: CaseRow, tx: Tx) => Promise<T>): Promise<T> {
    let caseId: string | null = null;
    return command(ctx, { action, resource: `referral:${referralId}`, caseId: () => caseId }, async (tx) => {
      const peek = await referrals.byId(referralId, tx);
      const c = peek ? await cases.byIdForUpdate(peek.caseId, tx) : undefined;
      const r = c ? await referrals.byIdForUpdate(referralId, tx) : undefined;
      caseId = r?.caseId ?? null;
      await access.authorize(ctx, action, { resource: `referral:${referralId}`, caseId, facts: factsOf(r, c) }, tx, { reason });
      if (!r || !c) throw new AppError('not_found');
      return fn(r, c, tx);
    });
  }

  async function orgInfo(orgId: string, tx: Tx) {
    const org = await orgs.byId(orgId, tx);
    return { orgName: org?.name ?? '', orgCategory: org?.category ?? '' };
  }

  const timeline = (c: CaseRow, ctx: RequestContext, action: string, reason: string, at: Date, tx: Tx) =>
    cases.addTimeline({ caseId: c.id, at, actor: actorOf(ctx.principal), action, fromState: c.state, toState: c.state, reason }, tx);

  /** Ends the partner's access to the content: the envelopes go here, the packet with the caller's update (packet: null). */
  async function endAccess(r: ReferralRow, tx: Tx): Promise<void> {
    await referrals.deleteEnvelopes(r.id, tx);
  }


  return { views, command, onReferral, orgInfo, timeline, endAccess };
}
