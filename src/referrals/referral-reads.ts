import { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';
import type { CaseRepository, CaseRow } from '../cases/case-repository.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { ReferralRepository, ReferralRow } from './referral-repository.js';
import { defenderMaySee, partnerMayRead, type ReferralViews } from './referral-views.js';
import { caseScope } from '../access/case-scope.js';
import { REFERRAL_COMMANDS } from '../contracts/referral.js';
import { REFERRAL_COMMAND_ACTIONS, referralCommandRefusal } from './referral-refusals.js';

/**
 * Reading referrals, each read audited (referral.read): staff see a case's referrals, the
 * partner its organisation's (only once sent, never after a withdrawal), the defender what awaits
 * their consent or was made without it. A referral outside the caller's scope is a 404.
 */
export function createReferralReads(deps: {
  cases: Pick<CaseRepository, 'byId'>;
  referrals: ReferralRepository;
  orgs: Pick<OrgRepository, 'byId'>;
  access: Pick<AccessService, 'authorize' | 'refusalCode'>;
  views: ReferralViews;
}) {
  const { cases, referrals, orgs, access, views } = deps;

  function factsOf(ctx: RequestContext, r: ReferralRow | undefined, c: CaseRow | undefined): ScopeFacts {
    if (!r || !c) return {};
    const defender = ctx.principal.kind === 'defender';
    return { ...caseScope(c), caseId: !defender || defenderMaySee(r) ? r.caseId : null, orgId: partnerMayRead(r) ? r.orgId : null };
  }

  return {
    /** The referrals of a case: all of them for staff; for the defender, those awaiting consent or made without it. */
    async listForCase(ctx: RequestContext, caseId: string) {
      const c = await cases.byId(caseId);
      await access.authorize(ctx, 'referral.read', { resource: `case:${caseId}/referrals`, caseId: c ? caseId : null, found: c !== undefined, facts: caseScope(c) }, undefined, { read: true });
      if (!c) throw new AppError('not_found');
      const rows = await referrals.ofCase(caseId);
      const p = ctx.principal;
      if (p.kind !== 'user') return rows.filter(defenderMaySee).map((r) => views.defender(r, r));
      // The same two checks each command runs: the access policy, then the referral's own refusal.
      return rows.map((r) => {
        const facts = factsOf(ctx, r, c);
        const actions = REFERRAL_COMMANDS.map((command) => {
          const action = REFERRAL_COMMAND_ACTIONS[command];
          const code = access.refusalCode(p, action, facts) ?? referralCommandRefusal(command, r)?.code ?? null;
          return { command, action, allowed: code === null, refusal: code };
        });
        return { ...views.staff(r, r), actions };
      });
    },

    /**
     * The caller's organisation's referrals, newest first (the partner's inbox); a supervisor
     * sees every referral. For a partner, only those it was sent (a withdrawn one stays, as such).
     */
    async list(ctx: RequestContext, page: { before?: { at: string; id: string }; limit: number }) {
      const own = ctx.principal.kind === 'user' ? ctx.principal.orgId : null;
      const { scope } = await access.authorize(ctx, 'referral.read', { resource: 'referrals', facts: { orgId: own } }, undefined, { read: true });
      const all = scope === 'all';
      const rows = await referrals.page({ orgId: all ? null : own, sentOnly: !all }, { limit: page.limit, ...(page.before ? { before: { at: new Date(page.before.at), id: page.before.id } } : {}) });
      return rows.map((r) => (all ? views.staff(r, r) : views.partner(r, r)));
    },

    /**
     * One referral with its packet, its reports and the envelopes the caller may open: the
     * organisation's for a partner, the caller's own for staff. The defender gets the metadata.
     */
    async get(ctx: RequestContext, referralId: string) {
      const r = await referrals.byId(referralId);
      const c = r ? await cases.byId(r.caseId) : undefined;
      await access.authorize(ctx, 'referral.read', { resource: `referral:${referralId}`, caseId: r && c ? r.caseId : null, found: r !== undefined && c !== undefined, facts: factsOf(ctx, r, c) }, undefined, { read: true });
      if (!r || !c) throw new AppError('not_found');
      const org = await orgs.byId(r.orgId);
      const info = { orgName: org?.name ?? '', orgCategory: org?.category ?? '' };
      const p = ctx.principal;
      if (p.kind === 'defender') return { referral: views.defender(r, info) };
      const partner = p.kind === 'user' && p.role === 'partner';
      const envelopes = p.kind !== 'user' ? [] : partner ? await referrals.envelopesFor(r.id, 'org', r.orgId) : await referrals.envelopesFor(r.id, 'user', p.userId);
      const reports = await referrals.reports(r.id);
      return {
        referral: partner ? views.partner(r, info) : views.staff(r, info),
        packet: r.packet,
        envelopes: envelopes.map((e) => ({ keyId: e.keyId, envelope: e.envelope })),
        reports,
      };
    },
  };
}
