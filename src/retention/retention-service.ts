import { AppError } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseRepository, CaseRow } from '../cases/case-repository.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import type { DeadlineRepository } from '../deadlines/deadline-repository.js';
import type { DeadlinePolicy } from '../deadlines/deadline-policy.js';
import type { SealedContentRepository } from '../cases/sealed-content-repository.js';
import type { NoteRepository } from '../cases/note-repository.js';
import type { ReferralRepository } from '../referrals/referral-repository.js';
import type { SearchRepository } from '../search/search-repository.js';
import type { RetentionDueRow, RetentionRepository } from './retention-repository.js';
import type { FileRepository } from '../files/file-repository.js';
import type { Outbox } from '../outbox/outbox.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { isIsoInstant, isUuid } from '../lib/cursor.js';
import { caseScope } from '../access/case-scope.js';

export type RetentionService = ReturnType<typeof createRetentionService>;

/** One closed case whose retention period has ended, as the supervisor's list shows it (no content). */
export interface RetentionDue {
  caseId: string;
  reference: string;
  closedAt: string | null;
  closeReason: string | null;
  deadlineId: string;
  dueAt: string;
  /** only in the list of held cases: when the hold was put */
  heldAt?: string;
}

/** The events of policies/deadlines.yaml that pause and resume the retention clock: a hold and its release. */
export const RETENTION_HELD = 'case.retention_held';
export const RETENTION_RELEASED = 'case.retention_released';

/** Keyset cursor of the list: the last item's due time and case id. */
export interface RetentionCursor {
  dueAt: string;
  caseId: string;
}


/**
 * The end of a closed case's retention period (policies/deadlines.yaml, `retention`, 10 years).
 * Reaching the due time purges nothing by itself: the deadline escalates to the supervisors, who
 * list what is due and confirm each purge with a reason. A purge is one transaction on the locked
 * case: every value sealed under the case key (the list of src/cases/sealed-content-repository.ts, so
 * a new sealed column is purged as soon as it is re-keyed), the referral packets, reports and
 * envelopes, the case's envelopes, its blind-index tokens, what links the defender's receipt to
 * the case and the evidence files' rows are erased (the files' stored bytes by the workers once
 * the purge commits: outbox 'file.erase'); codes, states, dates and the timeline stay for statistics, and the audit log
 * is never touched.
 * The case is marked purged (it cannot be reopened, and its sealed reads answer 404 case_purged),
 * the retention deadline is settled by `case.purged`, and the timeline and audit say who and why.
 */
export function createRetentionService(deps: {
  db: Db;
  cases: Pick<CaseRepository, 'byIdForUpdate' | 'update' | 'addTimeline' | 'deleteEnvelopes'>;
  /** every value sealed under the case key */
  sealed: Pick<SealedContentRepository, 'items' | 'purge'>;
  /** what the case's referrals hold under their own keys */
  referrals: Pick<ReferralRepository, 'purgeOfCase'>;
  /** the internal notes and the staff key they are sealed under */
  notes: Pick<NoteRepository, 'purge'>;
  /** the case's blind-index tokens, which would still tie it to the other cases of the same person */
  searchTokens: Pick<SearchRepository, 'forgetCase'>;
  /** the case's evidence files: their rows go with the sealed content, their bytes after commit */
  files: Pick<FileRepository, 'idsOfCase'>;
  outbox: Outbox;
  retention: RetentionRepository;
  deadlines: Pick<DeadlineService, 'apply'>;
  deadlineRepo: Pick<DeadlineRepository, 'live'>;
  /** policies/deadlines.yaml: a hold is the pause of the retention rule */
  deadlinePolicy: Pick<DeadlinePolicy, 'rules'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
}) {
  const { db, cases, sealed, referrals, notes, searchTokens, files, outbox, retention, deadlines, deadlineRepo, access, audit, clock } = deps;
  // A hold that paused nothing would still leave the case listed and purgeable: refuse to start instead.
  const pause = deps.deadlinePolicy.rules.get('retention')?.pause;
  if (pause?.on !== RETENTION_HELD || pause.resume !== RETENTION_RELEASED) {
    throw new Error(`policies/deadlines.yaml: the retention deadline must pause on ${RETENTION_HELD} and resume on ${RETENTION_RELEASED} (a hold on a purge)`);
  }

  const command = createCommandRunner({ db, audit });

  /**
   * Puts on hold, or releases, the purge of a closed, unpurged case: the retention deadline is
   * paused (the case leaves the list of what is due, and a purge is refused as not due) or runs
   * again for the time it had left (due at once if it was due when held).
   */
  async function setHold(ctx: RequestContext, caseId: string, hold: boolean, reason: string) {
    const resource = `case:${caseId}/retention-hold`;
    return command(ctx, { action: 'retention.hold', resource, caseId }, async (tx) => {
      const c = await cases.byIdForUpdate(caseId, tx);
      await access.authorize(ctx, 'retention.hold', { resource, caseId: c ? caseId : null, facts: caseScope(c) }, tx, { reason: `${hold ? 'hold' : 'release'}: ${reason}` });
      if (!c) throw new AppError('not_found');
      if (c.purgedAt) throw new AppError('invalid_transition', `the case was purged on ${c.purgedAt.toISOString()}`);
      if (c.state !== 'closed') throw new AppError('invalid_transition', `only a closed case has a retention period; this one is ${c.state}`);
      const [d] = await deadlineRepo.live(c.id, ['retention'], null, tx);
      if (!d) throw new AppError('invalid_transition', 'the case has no running retention period');
      if (hold && d.state === 'paused') throw new AppError('invalid_transition', 'the purge of this case is on hold already');
      if (!hold && d.state !== 'paused') throw new AppError('invalid_transition', 'the purge of this case is not on hold');
      const now = clock.now();
      await deadlines.apply({ caseId, event: hold ? RETENTION_HELD : RETENTION_RELEASED, at: now, urgent: c.urgent }, tx);
      await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: hold ? 'retention.held' : 'retention.released', fromState: c.state, toState: c.state, reason }, tx);
      const [after] = await deadlineRepo.live(c.id, ['retention'], null, tx);
      return { caseId, reference: c.reference, held: hold, at: now.toISOString(), deadlineId: d.id, dueAt: (after ?? d).dueAt.toISOString() };
    });
  }

  /** One page of a list, and the cursor of the next when the page is full. */
  function pageOf(rows: RetentionDueRow[], limit: number, held: boolean): { items: RetentionDue[]; next: string | null } {
    const items = rows.map((r) => ({ caseId: r.caseId, reference: r.reference, closedAt: r.closedAt?.toISOString() ?? null, closeReason: r.closeReason, deadlineId: r.deadlineId, dueAt: r.dueAt.toISOString(), ...(held ? { heldAt: (r.heldAt ?? r.dueAt).toISOString() } : {}) }));
    const last = items.length === limit ? items[items.length - 1] : undefined;
    return { items, next: last ? `${last.dueAt}_${last.caseId}` : null };
  }

  /** The refusal of a purge of this (locked) case now, or its open retention deadline. */
  async function check(c: CaseRow, now: Date, tx: Tx): Promise<AppError | { deadlineId: string }> {
    if (c.purgedAt) return new AppError('invalid_transition', `the case was purged on ${c.purgedAt.toISOString()}`);
    if (c.state !== 'closed') return new AppError('invalid_transition', `only a closed case is purged; this one is ${c.state}`);
    const [retention] = await deadlineRepo.live(c.id, ['retention'], null, tx);
    if (!retention || retention.state !== 'open') return new AppError('retention_not_due', 'the case has no running retention period');
    if (retention.dueAt.getTime() > now.getTime()) return new AppError('retention_not_due', `the retention period ends on ${retention.dueAt.toISOString()}`);
    return { deadlineId: retention.id };
  }

  return {
    /** Closed, unpurged cases whose retention deadline is due, earliest first (keyset on due time, case id). */
    async listDue(ctx: RequestContext, page: { limit: number; after?: RetentionCursor }): Promise<{ items: RetentionDue[]; next: string | null }> {
      await access.authorize(ctx, 'retention.read', { resource: 'retention' }, undefined, { read: true });
      return pageOf(await retention.due(clock.now(), page), page.limit, false);
    },

    /** Closed, unpurged cases whose purge is on hold, in the order and pages of `listDue`. */
    async listHeld(ctx: RequestContext, page: { limit: number; after?: RetentionCursor }): Promise<{ items: RetentionDue[]; next: string | null }> {
      await access.authorize(ctx, 'retention.read', { resource: 'retention' }, undefined, { read: true });
      return pageOf(await retention.held(page), page.limit, true);
    },

    /** A supervisor holds the purge of a closed case (a procedure under way, a request to keep it), with a reason. */
    hold: (ctx: RequestContext, caseId: string, input: { reason: string }) => setHold(ctx, caseId, true, input.reason),

    /** A supervisor releases the hold: the retention period runs again for what it had left. */
    release: (ctx: RequestContext, caseId: string, input: { reason: string }) => setHold(ctx, caseId, false, input.reason),

    /** A supervisor confirms the purge of a closed case whose retention period has ended. */
    async purge(ctx: RequestContext, caseId: string, input: { reason: string }) {
      return command(ctx, { action: 'case.purge', resource: `case:${caseId}`, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, 'case.purge', { resource: `case:${caseId}`, caseId: c ? caseId : null, facts: caseScope(c) }, tx, { reason: input.reason });
        if (!c) throw new AppError('not_found');
        const now = clock.now();
        const ok = await check(c, now, tx);
        if (ok instanceof AppError) throw ok;

        const erased = new Map<string, number>();
        // Files are counted as files, not as their sealed fields (key, name, type...).
        for (const i of await sealed.items(caseId, tx)) if (i.kind !== 'file') erased.set(i.kind, (erased.get(i.kind) ?? 0) + 1);
        // Taken before the rows go (sealed.purge deletes them): the workers erase the bytes once
        // this commits (outbox 'file.erase'); a rolled-back purge erases nothing.
        const fileIds = await files.idsOfCase(caseId, tx);
        await sealed.purge(caseId, tx);
        if (fileIds.length > 0) await outbox.add(tx, 'file.erase', { caseId, fileIds, why: 'purge' }, now);
        const referralCount = await referrals.purgeOfCase(caseId, tx);
        const noteCount = await notes.purge(caseId, tx);
        const envelopes = await cases.deleteEnvelopes(caseId, tx);
        await searchTokens.forgetCase(caseId, tx);
        // A purge that left a sealed value behind would be worse than none: it would be reported as done.
        const left = await sealed.items(caseId, tx);
        if (left.length > 0) throw new Error(`purge left ${left.length} sealed value(s) on case ${caseId}`);

        // The receipt no longer opens anything: nothing is left that links it to the case.
        await cases.update(caseId, { purgedAt: now, updatedAt: now, receiptVerifier: null, defenderKeyId: null, defenderPublicKey: null }, tx);
        await deadlines.apply({ caseId, event: 'case.purged', at: now, urgent: c.urgent }, tx);
        const summary = [...[...erased].map(([k, n]) => `${k} ${n}`), `referral ${referralCount}`, ...(noteCount > 0 ? [`note ${noteCount}`] : []), ...(fileIds.length > 0 ? [`file ${fileIds.length}`] : []), `envelope ${envelopes}`].join(', ');
        await cases.addTimeline({ caseId, at: now, actor: actorOf(ctx.principal), action: 'case.purged', fromState: c.state, toState: c.state, reason: `${input.reason} (erased: ${summary})` }, tx);
        return { caseId, reference: c.reference, purgedAt: now.toISOString(), retentionDeadlineId: ok.deadlineId };
      });
    },
  };
}

/** Parses `<ISO due time>_<case id>` (the `next` of a page). */
export function parseRetentionCursor(s: string): RetentionCursor | null {
  const i = s.lastIndexOf('_');
  if (i < 0) return null;
  const dueAt = s.slice(0, i);
  const caseId = s.slice(i + 1);
  return isIsoInstant(dueAt) && isUuid(caseId) ? { dueAt, caseId } : null;
}
