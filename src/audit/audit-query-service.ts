import type { ChainCheck, ChainedAuditEvent, SignedCheckpoint } from '../sdk/index.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditFilters, AuditRepository } from './audit-repository.js';
import type { AuditService } from './audit-service.js';

export const AUDIT_PAGE_MAX = 500;

export interface AuditPage {
  items: ChainedAuditEvent[];
  /** The seq to pass as `after` for the next page, or null when this page is the last. */
  next: number | null;
}

export type SignedHead = SignedCheckpoint & { signingPublicKey: string };

export type AuditQueryService = ReturnType<typeof createAuditQueryService>;

/**
 * What supervisors do with the audit log: query, export, fetch the signed head, verify. Every
 * call is authorised here (`audit.read` / `audit.verify`), and the access service records the
 * read itself in the chain before anything is returned: reading the audit log is audited.
 */
export function createAuditQueryService(deps: {
  audit: Pick<AuditService, 'list' | 'iterate' | 'signedHead' | 'verify' | 'chain'>;
  access: Pick<AccessService, 'authorize'>;
  repo: Pick<AuditRepository, 'head'>;
  /** b64u Ed25519 public key that verifies signed heads (published to supervisors). */
  signingPublicKey: string;
}) {
  const { audit, access, repo, signingPublicKey } = deps;

  return {
    /** Keyset page on seq; one extra row is read so that `next` is null on the last page. */
    async list(ctx: RequestContext, filters: AuditFilters, page: { after?: number; limit: number; order: 'asc' | 'desc' }): Promise<AuditPage> {
      await access.authorize(ctx, 'audit.read', { resource: 'audit' });
      // What has committed is chained first, this read included, so the page is up to date.
      await audit.chain();
      const limit = Math.min(Math.max(1, page.limit), AUDIT_PAGE_MAX);
      const rows = await audit.list(filters, { ...page, limit: limit + 1 });
      const items = rows.slice(0, limit);
      return { items, next: rows.length > limit ? items[items.length - 1]!.seq : null };
    },

    /**
     * Authorises (and records) the export at once, so a refusal is a plain problem response,
     * then returns the events in seq order up to the head as it stood then: an export is a
     * consistent prefix of the chain (it ends with its own audit.read event), read in batches.
     */
    async export(ctx: RequestContext, filters: AuditFilters): Promise<AsyncIterable<ChainedAuditEvent>> {
      await access.authorize(ctx, 'audit.read', { resource: 'audit' });
      await audit.chain();
      const upTo = (await repo.head()).seq;
      return (async function* () {
        for await (const e of audit.iterate(filters)) {
          if (e.seq > upTo) return;
          yield e;
        }
      })();
    },

    /** The head signed now (it already includes this read), with the key that verifies it. */
    async head(ctx: RequestContext): Promise<SignedHead> {
      await access.authorize(ctx, 'audit.read', { resource: 'audit' });
      return { ...(await audit.signedHead()), signingPublicKey };
    },

    async verify(ctx: RequestContext): Promise<ChainCheck & { headMatches: boolean; checkpoints: number }> {
      await access.authorize(ctx, 'audit.verify', { resource: 'audit' });
      await audit.chain();
      return audit.verify();
    },
  };
}
