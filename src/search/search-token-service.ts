import { AppError, validationFailed, type FieldError } from '../lib/problem.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService, ScopeFacts } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { CaseParticipation } from '../access/case-participation.js';
import { caseScope, listScopeOf } from '../access/case-scope.js';
import type { CaseRepository } from '../cases/case-repository.js';
import type { CaseSummary } from '../contracts/case-list.js';
import { CryptoError, checkSearchToken } from '../sdk/index.js';
import type { SearchPolicy } from './search-policy.js';
import type { SearchRepository } from './search-repository.js';
import { noSearchKey, searchKeyChanged } from './search-key-service.js';

/** Field errors for tokens that are not base64url of exactly 16 bytes (the schema checks the length only). */
export function tokenProblems(tokens: readonly string[], field: string): FieldError[] {
  const out: FieldError[] = [];
  tokens.forEach((t, i) => {
    try {
      checkSearchToken(t);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      out.push({ field: `${field}/${i}`, message: `${err.code}: ${err.message}` });
    }
  });
  return out;
}

export type SearchTokenService = ReturnType<typeof createSearchTokenService>;

/**
 * The blind index on the server (docs/crypto-v1.md §16): it stores each case's token set, exactly
 * `tokensPerCase` long (policies/search.yaml), and answers which cases in the caller's scope hold
 * the tokens of a search. It never sees a name or a phone, and never logs or audits a token. Tokens
 * are stored with the generation of the search key (a re-issue makes a new one); a search matches
 * those of the current generation only.
 */
export function createSearchTokenService(deps: {
  db: Db;
  search: SearchRepository;
  cases: Pick<CaseRepository, 'byId'>;
  access: Pick<AccessService, 'authorize' | 'permits'>;
  participation: Pick<CaseParticipation, 'facts'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: SearchPolicy;
  /** Unread messages per case for a reader (`u:<userId>`), as the case list shows them. */
  unreadMessages: (caseIds: readonly string[], reader: string) => Promise<Map<string, number>>;
}) {
  const { db, search, cases, access, participation, clock, policy, unreadMessages } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  const callerId = (ctx: RequestContext): string | null => (ctx.principal.kind === 'user' ? ctx.principal.userId : null);

  return {
    /**
     * Replaces a case's token set. Uploaded by a client that opened the case (so staff who may
     * read its sealed fields) and holds the search key; exactly the policy's count, so that the
     * server learns nothing from how many tokens a case has.
     */
    async replace(ctx: RequestContext, caseId: string, tokens: string[], generation?: number) {
      const resource = `case:${caseId}/search-tokens`;
      const problems = tokenProblems(tokens, '/body/tokens');
      if (tokens.length !== policy.tokensPerCase) problems.unshift({ field: '/body/tokens', message: `must hold exactly ${policy.tokensPerCase} tokens (real ones padded with random ones)` });
      return command(ctx, { action: 'case.search_tokens', resource, caseId: null }, async (tx) => {
        const c = await cases.byId(caseId, tx);
        const facts: ScopeFacts = { ...caseScope(c), ...(await participation.facts(ctx.principal, c, tx)) };
        const me = callerId(ctx);
        const holder = me !== null && (await search.entryOf(me, tx)) !== undefined;
        const current = await search.currentGeneration(tx);
        // Tokens of a key re-issued since would never be found: the client opens the new key first.
        const changed = generation !== undefined && generation !== current ? searchKeyChanged(current) : null;
        const refusal = c?.purgedAt ? new AppError('case_purged', `the sealed content of this case was purged on ${c.purgedAt.toISOString()}`) : !holder ? noSearchKey() : problems.length > 0 ? validationFailed('the tokens are not a set of the policy count', problems) : changed;
        // The reason says how many, never which: a token is as telling as the name it stands for.
        await access.authorize(ctx, 'case.search_tokens', { resource, caseId: c ? caseId : null, found: c !== undefined, facts, refusal }, tx, { reason: `${tokens.length} tokens` });
        await search.replaceTokens(caseId, tokens, me!, clock.now(), current, tx);
        return { caseId, tokens: tokens.length };
      });
    },

    /**
     * The cases in the caller's scope that hold one of the tokens, best first, as case-list
     * summaries with the number of tokens each matched. `excludeCaseId` leaves the case being
     * looked at out (the console's duplicate warning).
     */
    async search(ctx: RequestContext, input: { tokens: string[]; excludeCaseId?: string }) {
      const scope = listScopeOf(access, ctx.principal, 'case.search');
      const facts: ScopeFacts = {};
      if (scope.pool) facts.caseState = 'received';
      if (scope.assignedTo) facts.assigneeId = scope.assignedTo;
      const me = callerId(ctx);
      const holder = me !== null && (await search.entryOf(me)) !== undefined;
      const problems = tokenProblems(input.tokens, '/body/tokens');
      if (input.tokens.length > policy.maxQueryTokens) problems.unshift({ field: '/body/tokens', message: `at most ${policy.maxQueryTokens} tokens` });
      const refusal = !holder ? noSearchKey() : problems.length > 0 ? validationFailed('the tokens are not valid', problems) : null;
      const exclude = input.excludeCaseId ?? null;
      // Audited as a read, with how many tokens and the case a duplicate check was about; never the tokens.
      await access.authorize(ctx, 'case.search', { resource: 'cases/search', caseId: exclude, facts, refusal }, undefined, {
        read: true,
        reason: `${input.tokens.length} tokens${exclude ? ', other cases than this one' : ''}`,
      });
      const now = clock.now();
      const generation = await search.currentGeneration();
      const rows = await search.search({ scope, tokens: input.tokens, generation, excludeCaseId: exclude, limit: policy.maxResults });
      const unread = await unreadMessages(rows.map((r) => r.id), actorOf(ctx.principal));
      return {
        items: rows.map((r) => {
          const summary: CaseSummary = {
            id: r.id,
            reference: r.reference,
            state: r.state,
            urgent: r.urgent,
            urgentClaimed: r.urgentClaimed,
            riskLevel: r.riskLevel,
            region: r.region,
            defenderCategory: r.defenderCategory,
            assigneeId: r.assigneeId,
            createdAt: r.createdAt.toISOString(),
            nextDue: r.nextDueAt !== null ? { rule: r.nextDueRule ?? '', dueAt: r.nextDueAt.toISOString() } : null,
            overdue: r.nextDueAt !== null && r.nextDueAt < now,
            unreadMessages: unread.get(r.id) ?? 0,
          };
          return { case: summary, matched: r.matched };
        }),
      };
    },
  };
}
