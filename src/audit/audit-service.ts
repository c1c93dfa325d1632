import { ChainVerifier, GENESIS_HASH, signCheckpoint, verifyCheckpoint, type ChainCheck, type ChainedAuditEvent, type SignedCheckpoint } from '../sdk/index.js';
import type { Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, roleOf, type RequestContext } from '../access/principal.js';
import type { AuditFilters, AuditRepository, AuditRow, NewAuditRow } from './audit-repository.js';
import { createAuditBatcher } from './audit-batcher.js';

export interface AuditRecord {
  action: string;
  resource: string;
  caseId?: string | null;
  outcome: 'allowed' | 'denied';
  reason?: string | null;
}

/** The exported and listed form: exactly the chained fields plus the hash (docs/crypto-v1.md). */
export function toChainedEvent(row: AuditRow): ChainedAuditEvent {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    actor: row.actor,
    role: row.role,
    action: row.action,
    resource: row.resource,
    caseId: row.caseId,
    outcome: row.outcome,
    reason: row.reason,
    requestId: row.requestId,
    hash: row.hash,
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

/** Reads one page of the chain (audit-repository `list` on some connection). */
export type AuditPageReader = (filters: AuditFilters, page: { after?: number; limit: number; order: 'asc' | 'desc' }) => Promise<AuditRow[]>;

/** A signed checkpoint as stored (audit_checkpoints). */
export type StoredCheckpoint = SignedCheckpoint & { signedAt: Date };

/**
 * Writes and reads the audit chain. Authorisation of reads happens in the routes' services via
 * the access service (`audit.read`), which itself records the read.
 */
export function createAuditService(deps: { repo: AuditRepository; writeBatch?: (rows: NewAuditRow[]) => Promise<void>; clock: Clock; signingSecretKey: Uint8Array }) {
  const { repo, clock, signingSecretKey } = deps;
  // Group commits go through their own connections when given (the API), so that requests
  // holding a transaction while they wait cannot starve them.
  const batcher = createAuditBatcher({ insert: deps.writeBatch ?? ((rows) => repo.insert(rows)) });

  return {
    /**
     * Records an event. With a transaction it commits with the change it records; without one
     * (reads, refusals) it joins the next group commit, and resolves once it is on disk.
     */
    async record(ctx: RequestContext, e: AuditRecord, tx?: Tx): Promise<void> {
      const row = {
        at: clock.now(),
        actor: actorOf(ctx.principal),
        role: roleOf(ctx.principal),
        action: e.action,
        resource: e.resource,
        caseId: e.caseId ?? null,
        outcome: e.outcome,
        reason: e.reason ?? null,
        requestId: ctx.requestId,
      };
      const trail = ctx.trail;
      if (trail && e.outcome === 'denied') trail.denied = true;
      if (tx) await repo.insert([row], tx);
      else {
        await batcher.record(row);
        if (trail && e.outcome === 'allowed') trail.allowedCommitted = true;
      }
    },

    async list(filters: AuditFilters, page: { after?: number; limit: number; order: 'asc' | 'desc' }): Promise<ChainedAuditEvent[]> {
      return (await repo.list(filters, page)).map(toChainedEvent);
    },

    /**
     * Streams the whole log (or a filtered part, or the events after `range.after` up to
     * `range.upTo`) in seq order, in batches, for NDJSON export; each batch read by `list` (the
     * primary by default, the exports' replica reader in an export).
     */
    async *iterate(filters: AuditFilters = {}, range: { after?: number; upTo?: number } = {}, batch = 5000, list: AuditPageReader = repo.list): AsyncGenerator<ChainedAuditEvent> {
      let after = range.after ?? 0;
      const upTo = range.upTo ?? Number.MAX_SAFE_INTEGER;
      while (after < upTo) {
        // No more than the seqs left before upTo: a range's last batch reads nothing past its end.
        const limit = Math.min(batch, upTo - after);
        const rows = await list(filters, { after, limit, order: 'asc' });
        for (const r of rows) {
          if (r.seq > upTo) return;
          yield toChainedEvent(r);
        }
        if (rows.length < limit) return;
        after = rows[rows.length - 1]!.seq;
      }
    },

    /** Chains what has committed since the last call (the worker also does this continuously). */
    chain(): Promise<number> {
      return repo.chainPending();
    },

    /** Run when a chainer starts: after a crash, the unlogged queue is rebuilt from the events. */
    requeueUnchained(): Promise<number> {
      return repo.requeueUnchained();
    },

    /** When the database server started: the chainer requeues when it changes (a restart empties the unlogged queue). */
    serverStartedAt(): Promise<string> {
      return repo.serverStartedAt();
    },

    /** The current head, signed now: a supervisor keeps it to prove later that history was not rewritten. */
    async signedHead(): Promise<SignedCheckpoint> {
      await repo.chainPending();
      const head = await repo.head();
      return signCheckpoint(head.seq, head.hash, signingSecretKey);
    },

    /** Stores a signed checkpoint of the current head (run periodically by the worker). */
    async checkpoint(): Promise<SignedCheckpoint | null> {
      await repo.chainPending();
      const head = await repo.head();
      if (head.seq === 0) return null;
      const latest = await repo.latestCheckpoint();
      if (latest && latest.seq === head.seq) return null;
      const signed = signCheckpoint(head.seq, head.hash, signingSecretKey);
      await repo.insertCheckpoint({ ...signed, signedAt: clock.now() });
      return signed;
    },

    /**
     * The stored checkpoints enclosing the events `first` to `last`: the latest before `first`
     * (none: the range starts at genesis) and the earliest at or after `last`. When none reaches
     * `last` yet, the head is signed and stored as a checkpoint now, as the scheduled job would:
     * the range then ends at a checkpoint anyone can ask for again, and POST /v1/audit/verify
     * checks it like the others.
     */
    async enclosing(first: number, last: number): Promise<{ start: StoredCheckpoint | null; end: StoredCheckpoint }> {
      const start = (await repo.checkpointBefore(first)) ?? null;
      let end = await repo.checkpointFrom(last);
      if (!end) {
        await this.checkpoint();
        end = await repo.checkpointFrom(last);
      }
      if (!end) throw new Error(`no checkpoint at or after seq ${last}: the head is behind the events it chained`);
      return { start, end };
    },

    /**
     * Recomputes the whole chain from genesis and compares it with the stored hashes, the head
     * row and every stored signed checkpoint. The checkpoints catch what the hashes alone cannot:
     * a rewrite of history whose author recomputed every later hash.
     */
    async verify(): Promise<ChainCheck & { headMatches: boolean; checkpoints: number }> {
      const verifier = new ChainVerifier({ seq: 0, hash: GENESIS_HASH });
      const checkpoints = await repo.checkpoints();
      const signingPublicKey = signingSecretKey.subarray(32);
      let next = 0;
      let checked = 0;
      let checkpointFailure: { firstBadSeq: number; reason: string } | null = null;
      for await (const e of this.iterate()) {
        if (!verifier.push(e)) break;
        while (!checkpointFailure && next < checkpoints.length && checkpoints[next]!.seq <= e.seq) {
          const cp = checkpoints[next++]!;
          if (cp.seq < e.seq) continue; // a gap: the hash check has failed already
          if (!verifyCheckpoint({ seq: cp.seq, hash: cp.hash, signature: cp.signature }, signingPublicKey)) {
            checkpointFailure = { firstBadSeq: cp.seq, reason: `the stored checkpoint at seq ${cp.seq} is not signed by this deployment's key` };
          } else if (cp.hash !== e.hash) {
            checkpointFailure = { firstBadSeq: cp.seq, reason: `the chain at seq ${cp.seq} differs from the checkpoint signed ${cp.signedAt.toISOString()}: history up to it was rewritten` };
          } else checked++;
        }
        if (checkpointFailure) break;
      }
      const result = verifier.result();
      const head = await repo.head();
      const headMatches = result.ok && result.head.seq === head.seq && result.head.hash === head.hash;
      if (checkpointFailure && result.ok) return { ok: false, count: result.count, ...checkpointFailure, headMatches, checkpoints: checked };
      return { ...result, headMatches, checkpoints: checked };
    },
  };
}
