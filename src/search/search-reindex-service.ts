import { AppError, validationFailed } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { RequestContext } from '../access/principal.js';
import type { CaseRepository } from '../cases/case-repository.js';
import type { KeyringRepository } from '../keys/keyring-repository.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import { purged } from '../cases/case-rekey-plan.js';
import type { SearchPolicy } from './search-policy.js';
import type { SearchRepository } from './search-repository.js';
import { searchKeyChanged } from './search-key-service.js';
import { tokenProblems } from './search-token-service.js';

export type SearchReindexService = ReturnType<typeof createSearchReindexService>;

/** The sealed fields a case is searchable by (web/console/search/searchable.ts): nothing else is served. */
const SEARCHABLE = ['identity', 'contact'] as const;

const callerId = (ctx: RequestContext): string | null => (ctx.principal.kind === 'user' ? ctx.principal.userId : null);

/**
 * After a re-issue of the search key (docs/crypto-v1.md §16.1), the cases whose tokens were
 * computed with an older key are found by no search: a holder's client re-indexes them. The
 * server lists them (recomputed on every call, so a run stopped half-way continues from what
 * remains) with what the client needs and nothing more: the sealed name and contact and the
 * case's mechanism envelopes; the client opens them with the mechanism key, computes the tokens
 * with the new key and sends them, one audited command per case. A case's old tokens are replaced
 * by its new ones; once no case remains, every token of an older key is deleted.
 *
 * Only a supervisor who holds the current search key and the mechanism key (so opens every case)
 * re-indexes: the same holder who may re-issue.
 */
export function createSearchReindexService(deps: {
  db: Db;
  search: SearchRepository;
  cases: Pick<CaseRepository, 'byId' | 'fields' | 'envelopes'>;
  orgs: Pick<OrgRepository, 'mechanism'>;
  keyring: Pick<KeyringRepository, 'mechanismKeyHolderIds'>;
  users: Pick<UserRepository, 'byId'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  policy: SearchPolicy;
}) {
  const { db, search, cases, orgs, keyring, users, access, clock, policy } = deps;
  const command = createCommandRunner({ db, audit: deps.audit });

  /** Holds the current search key (an entry that opens with their key) and the mechanism key. */
  async function holds(me: string | null, tx?: Tx): Promise<boolean> {
    if (me === null) return false;
    const [own, user] = await Promise.all([search.entryOf(me, tx), users.byId(me, tx)]);
    return own !== undefined && own.memberKeyId === user?.keyId && (await keyring.mechanismKeyHolderIds(tx)).includes(me);
  }

  return {
    /** How many cases hold tokens of an older key, and the next ones with their sealed name, contact and mechanism envelopes. */
    async remaining(ctx: RequestContext, limit: number) {
      const me = callerId(ctx);
      const holder = await holds(me);
      const generation = await search.currentGeneration();
      const out = holder ? await search.olderTokens(generation, limit) : null;
      const served = out?.cases.map((c) => c.caseId) ?? [];
      // Each case whose sealed name and contact are served is named in the audit.
      await access.authorize(ctx, 'search_key.reindex', { resource: 'search-key/reindex', facts: { keyHolder: holder } }, undefined, {
        read: true,
        reason: out ? `generation ${generation}: sealed name and contact of ${served.length} case(s) served, ${out.remaining} remaining${served.length > 0 ? `: ${served.join(', ')}` : ''}` : null,
      });
      if (!out) throw new AppError('not_found');
      const mechanism = await orgs.mechanism();
      const items = [];
      for (const c of out.cases) {
        const [fields, envelopes] = await Promise.all([cases.fields(c.caseId), cases.envelopes(c.caseId)]);
        items.push({
          caseId: c.caseId,
          reference: c.reference,
          keyEpoch: c.keyEpoch,
          fields: Object.fromEntries(fields.filter((f) => (SEARCHABLE as readonly string[]).includes(f.field)).map((f) => [f.field, f.sealed])),
          envelopes: envelopes.filter((e) => e.recipientType === 'org' && e.recipientId === mechanism?.id).map((e) => ({ keyId: e.keyId, envelope: e.envelope })),
        });
      }
      return { generation, tokensPerCase: policy.tokensPerCase, remaining: out.remaining, cases: items };
    },

    /** Replaces one case's tokens of an older key with tokens of the current one. */
    async reindex(ctx: RequestContext, caseId: string, input: { generation: number; tokens: string[] }) {
      const problems = tokenProblems(input.tokens, '/body/tokens');
      if (input.tokens.length !== policy.tokensPerCase) problems.unshift({ field: '/body/tokens', message: `must hold exactly ${policy.tokensPerCase} tokens (real ones padded with random ones)` });
      const resource = `case:${caseId}/search-tokens`;
      return command(ctx, { action: 'search_key.reindex', resource, caseId }, async (tx) => {
        // A re-issue waits for this command, or this command sees the new generation.
        await search.lockKeyring(tx);
        const me = callerId(ctx);
        const holder = await holds(me, tx);
        const c = await cases.byId(caseId, tx);
        const current = await search.currentGeneration(tx);
        await access.authorize(ctx, 'search_key.reindex', { resource, caseId: c ? caseId : null, found: c !== undefined, facts: { keyHolder: holder } }, tx, {
          reason: `${input.tokens.length} tokens of generation ${input.generation}`,
        });
        if (!c) throw new AppError('not_found');
        if (c.purgedAt) throw purged(c.purgedAt);
        if (problems.length > 0) throw validationFailed('the tokens are not a set of the policy count', problems);
        if (input.generation !== current) throw searchKeyChanged(current);
        const had = await search.tokenGeneration(caseId, tx);
        if (had === null) throw new AppError('conflict', 'this case holds no tokens to re-index: a client that opens it indexes it (PUT /v1/cases/:caseId/search-tokens)');
        // Re-indexed already (by this client before a retry, or by a colleague who opened the case).
        if (had === current) return { caseId, generation: current, reindexed: false, remaining: (await search.olderTokens(current, 0, tx)).remaining };
        await search.replaceTokens(caseId, input.tokens, me!, clock.now(), current, tx);
        const { remaining } = await search.olderTokens(current, 0, tx);
        // None left to re-index: the older tokens still stored (of purged cases) go too.
        if (remaining === 0) await search.dropOlderTokens(current, tx);
        return { caseId, generation: current, reindexed: true, remaining };
      });
    },
  };
}
