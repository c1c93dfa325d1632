import type { ChainCheck, ChainedAuditEvent, SignedCheckpoint } from '../sdk/index.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import { AppError, validationFailed } from '../lib/problem.js';
import type { AuditFilters, AuditRepository } from './audit-repository.js';
import type { AuditService, StoredCheckpoint } from './audit-service.js';
import type { AuditExportReads } from './audit-export-reads.js';

export const AUDIT_PAGE_MAX = 500;

export interface AuditPage {
  items: ChainedAuditEvent[];
  /** The seq to pass as `after` for the next page, or null when this page is the last. */
  next: number | null;
}

export type SignedHead = SignedCheckpoint & { signingPublicKey: string };

export type CheckpointView = SignedCheckpoint & { signedAt: string };

/** The stored checkpoints enclosing a period (GET /v1/audit/checkpoints). */
export interface EnclosingCheckpoints {
  period: { firstSeq: number; lastSeq: number };
  /** null: the range starts at genesis */
  start: CheckpointView | null;
  end: CheckpointView;
  signingPublicKey: string;
}

/**
 * What an export asks for: a selection by the event's fields, or a piece of the chain between
 * two stored checkpoints (`afterSeq` 0 is genesis). `filtered` names the filters sent beside a
 * range, which the service refuses: a filtered export is not a chain.
 */
export type ExportRequest = { filters: AuditFilters } | { range: { afterSeq?: number; toSeq?: number }; filtered: string[] };

const viewOf = (c: StoredCheckpoint): CheckpointView => ({ seq: c.seq, hash: c.hash, signature: c.signature, signedAt: c.signedAt.toISOString() });

export type AuditQueryService = ReturnType<typeof createAuditQueryService>;

/**
 * What supervisors do with the audit log: query, export, fetch the signed head, verify. Every
 * call is authorised here (`audit.read` / `audit.verify`), and the access service records the
 * read itself in the chain before anything is returned: reading the audit log is audited.
 */
export function createAuditQueryService(deps: {
  audit: Pick<AuditService, 'list' | 'iterate' | 'signedHead' | 'verify' | 'chain' | 'enclosing'>;
  access: Pick<AccessService, 'authorize'>;
  repo: Pick<AuditRepository, 'head' | 'periodSeqs' | 'checkpointAt'>;
  /** b64u Ed25519 public key that verifies signed heads (published to supervisors). */
  signingPublicKey: string;
  /** Where an export's pages are read (the replica when there is one); the primary without. */
  exportReads?: AuditExportReads;
}) {
  const { audit, access, repo, signingPublicKey, exportReads } = deps;
  /** An export's page reader, fixed once everything it must include has committed. */
  const exportPages = async () => (exportReads ? exportReads.pages(await exportReads.position()) : undefined);

  /** A range to export, or why not: both ends given, no filter beside them, and each end a stored checkpoint (0: genesis). */
  async function checkRange(range: { afterSeq?: number; toSeq?: number }, filtered: string[]): Promise<{ refusal: AppError | null; range: { afterSeq: number; toSeq: number } | null }> {
    const refuse = (refusal: AppError) => ({ refusal, range: null });
    if (filtered.length > 0) {
      return refuse(validationFailed('a seq range is a piece of the chain, verified from one checkpoint to the other: it takes no filter', filtered.map((f) => ({ field: `/querystring/${f}`, message: 'not with afterSeq and toSeq' }))));
    }
    const { afterSeq, toSeq } = range;
    if (afterSeq === undefined || toSeq === undefined) {
      const missing = afterSeq === undefined ? 'afterSeq' : 'toSeq';
      return refuse(validationFailed('a range needs both afterSeq and toSeq', [{ field: `/querystring/${missing}`, message: 'afterSeq and toSeq go together' }]));
    }
    if (toSeq <= afterSeq) return refuse(new AppError('audit_range_reversed', `toSeq (${toSeq}) must be after afterSeq (${afterSeq})`));
    for (const [name, seq] of [
      ['afterSeq', afterSeq],
      ['toSeq', toSeq],
    ] as const) {
      if (name === 'afterSeq' && seq === 0) continue;
      if (!(await repo.checkpointAt(seq))) return refuse(new AppError('audit_range_unaligned', `${name} ${seq} is not a stored checkpoint${name === 'afterSeq' ? ' (nor 0, genesis)' : ''}`));
    }
    return { refusal: null, range: { afterSeq, toSeq } };
  }

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
     * A range is exactly the events after its start checkpoint up to its end checkpoint: what is
     * wrong with it is found before the authorisation, so that the refusal is the request's one event.
     */
    async export(ctx: RequestContext, request: ExportRequest): Promise<AsyncIterable<ChainedAuditEvent>> {
      if ('range' in request) {
        const { refusal, range } = await checkRange(request.range, request.filtered);
        await access.authorize(ctx, 'audit.read', { resource: 'audit', refusal }, undefined, range ? { reason: `export seq ${range.afterSeq + 1}-${range.toSeq}` } : {});
        return audit.iterate({}, { after: range!.afterSeq, upTo: range!.toSeq }, undefined, await exportPages());
      }
      const { filters } = request;
      await access.authorize(ctx, 'audit.read', { resource: 'audit' });
      await audit.chain();
      const upTo = (await repo.head()).seq;
      return audit.iterate(filters, { upTo }, undefined, await exportPages());
    },

    /**
     * The stored checkpoints that enclose the events recorded in a period, for exporting and
     * verifying that range alone (audit-service `enclosing`): the period is read, and refused
     * when reversed or empty, before the authorisation records the read.
     */
    async checkpoints(ctx: RequestContext, period: { from?: Date; to?: Date }): Promise<EnclosingCheckpoints> {
      let refusal: AppError | null = null;
      let span: { first: number; last: number } | null = null;
      if (period.from && period.to && period.to.getTime() < period.from.getTime()) refusal = new AppError('audit_range_reversed', 'the period ends (to) before it starts (from)');
      else {
        await audit.chain();
        span = await repo.periodSeqs(period);
        if (!span) refusal = new AppError('audit_period_empty', 'no audit event was recorded in this period');
      }
      await access.authorize(ctx, 'audit.read', { resource: 'audit', refusal }, undefined, span ? { reason: `checkpoints for seq ${span.first}-${span.last}` } : {});
      const { start, end } = await audit.enclosing(span!.first, span!.last);
      return { period: { firstSeq: span!.first, lastSeq: span!.last }, start: start ? viewOf(start) : null, end: viewOf(end), signingPublicKey };
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
