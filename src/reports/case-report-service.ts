import { CryptoError, parseSealedField } from '../sdk/index.js';
import { AppError } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { actorOf, type RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseRepository, CaseRow } from '../cases/case-repository.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import type { DeadlineRepository } from '../deadlines/deadline-repository.js';
import type { Outbox } from '../outbox/outbox.js';
import type { IntakePolicy } from '../intake/intake-policy.js';
import type { CaseReportKind, CaseReportRepository } from './case-report-repository.js';
import { assertKeyEpoch } from '../cases/key-epoch.js';
import type { CaseParticipation } from '../access/case-participation.js';
import { withheldFlag } from '../lib/sealed-withheld.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { caseScope } from '../access/case-scope.js';

export type CaseReportService = ReturnType<typeof createCaseReportService>;

export const CHECKIN_CODES = ['ok', 'need_contact'] as const;

export interface CaseReportInput {
  id: string;
  code?: string;
  /** sealed under the case DEK, AD `egide/v1/<kind>/<id>/note` */
  note?: string;
  keyEpoch?: number;
}


const ACTIONS: Record<CaseReportKind, string> = { incident: 'incident.create', checkin: 'checkin.create', alert: 'alert.create' };


/**
 * What happens around a case (workflow.md, "Cross-cutting"): a new incident, a check-in, an
 * alert. The defender records them with the receipt session, or staff on the defender's behalf;
 * the note is sealed on the client. Each is one transaction with what it sets off:
 *  - an incident notifies the assigned officer at once (every supervisor when nobody is
 *    assigned) and, on a case in `protection`, starts a reassessment;
 *  - a check-in settles the running check-in deadline and starts the next one (by risk level);
 *  - an alert goes to the assigned officer and every supervisor at once, skipping the ladder.
 * Notifications carry ids, codes and the case reference, never the note.
 */
export function createCaseReportService(deps: {
  db: Db;
  reports: Pick<CaseReportRepository, 'insert' | 'list' | 'activeSupervisorIds'>;
  cases: Pick<CaseRepository, 'byId' | 'byIdForUpdate' | 'update' | 'addTimeline'>;
  deadlines: Pick<DeadlineService, 'apply'>;
  deadlineRows: Pick<DeadlineRepository, 'live'>;
  outbox: Outbox;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  /** whether a supervisor gets the sealed notes (part of the case, or a break-glass) */
  participation: Pick<CaseParticipation, 'sealedAccess'>;
  clock: Clock;
  intake: Pick<IntakePolicy, 'has'>;
}) {
  const { db, reports, cases, deadlines, deadlineRows, outbox, access, audit, participation, clock, intake } = deps;
  const command = createCommandRunner({ db, audit });

  function checkInput(kind: CaseReportKind, input: CaseReportInput): string | null {
    if (input.note !== undefined) {
      try {
        parseSealedField(input.note);
      } catch (err) {
        throw new AppError('validation_failed', 'the note must be a sealed field', { errors: [{ field: '/body/note', message: err instanceof CryptoError ? `${err.code}: ${err.message}` : 'is invalid' }] });
      }
    }
    const bad = (message: string) => new AppError('validation_failed', message, { errors: [{ field: '/body/code', message }] });
    switch (kind) {
      case 'incident':
        if (input.code !== undefined && !intake.has('threatType', input.code)) throw bad(`unknown threat type ${input.code}`);
        return input.code ?? null;
      case 'checkin':
        if (input.code !== undefined && !(CHECKIN_CODES as readonly string[]).includes(input.code)) throw bad(`one of ${CHECKIN_CODES.join(', ')}`);
        // A check-in without a code says "I am safe".
        return input.code ?? 'ok';
      case 'alert':
        if (input.code !== undefined) throw bad('an alert has no code');
        return null;
    }
  }

  /** Why this kind of report cannot be made on the case now, or null. */
  async function refusal(kind: CaseReportKind, c: CaseRow, tx: Tx): Promise<AppError | null> {
    if (kind === 'alert') return null; // "whatever the state": an alert is never refused for the case's state
    if (c.state === 'closed') return new AppError('invalid_transition', `a closed case takes no ${kind}; a supervisor may reopen it`);
    if (kind === 'checkin' && c.state !== 'protection') {
      // A reassessment started from protection keeps the check-in schedule running: the defender
      // keeps checking in until a closing settles it, rather than escalating as "missed".
      const running = await deadlineRows.live(c.id, ['checkin'], null, tx);
      if (running.length === 0) return new AppError('invalid_transition', `check-ins run while the case is in protection (it is in ${c.state})`);
    }
    return null;
  }

  /** What a report's notification says: ids and the case reference, never the note. */
  const notice = (c: CaseRow, reportId: string, recipients: string[]) => ({ caseId: c.id, reference: c.reference, reportId, recipients: [...new Set(recipients)] });

  return {
    refusal,

    async record(ctx: RequestContext, caseId: string, kind: CaseReportKind, input: CaseReportInput) {
      const code = checkInput(kind, input);
      const action = ACTIONS[kind];
      const resource = `${kind}:${input.id}`;
      return command(ctx, { action, resource, caseId }, async (tx) => {
        const c = await cases.byIdForUpdate(caseId, tx);
        await access.authorize(ctx, action, { resource, caseId: c ? caseId : null, facts: caseScope(c) }, tx);
        if (!c) throw new AppError('not_found');
        assertKeyEpoch(c, input.keyEpoch);
        const refused = await refusal(kind, c, tx);
        if (refused) throw refused;
        const now = clock.now();
        const reportedBy = actorOf(ctx.principal);
        if (!(await reports.insert({ id: input.id, caseId, kind, reportedBy, code, note: input.note ?? null, at: now }, tx))) {
          throw new AppError('already_exists', `a report with this id exists; the client must choose a new id (and seal again)`);
        }
        let state = c.state;
        if (kind === 'incident') {
          const reassess = c.state === 'protection';
          await cases.addTimeline({ caseId, at: now, actor: reportedBy, action: 'incident.reported', fromState: c.state, toState: c.state, reason: code ? `threat type ${code}` : null }, tx);
          if (reassess) {
            // Supervening facts: the case goes back to assessment at once (Colombia's UNP
            // procedure), with the assessment deadline started again.
            state = 'assessment';
            await cases.update(caseId, { state, updatedAt: now }, tx);
            await cases.addTimeline({ caseId, at: now, actor: reportedBy, action: 'reassess', fromState: c.state, toState: state, reason: `new incident ${input.id}` }, tx);
            await deadlines.apply({ caseId, event: 'case.reassessment_started', at: now, urgent: c.urgent }, tx);
          }
          const recipients = c.assigneeId ? [c.assigneeId] : await reports.activeSupervisorIds(tx);
          await outbox.add(tx, 'incident.reported', { ...notice(c, input.id, recipients), code, reassessment: reassess }, now);
        } else if (kind === 'checkin') {
          await deadlines.apply({ caseId, event: 'checkin.received', at: now, urgent: c.urgent, ...(c.riskLevel ? { riskLevel: c.riskLevel } : {}) }, tx);
          if (code === 'need_contact') {
            const recipients = c.assigneeId ? [c.assigneeId] : await reports.activeSupervisorIds(tx);
            await outbox.add(tx, 'checkin.need_contact', notice(c, input.id, recipients), now);
          }
        } else {
          await cases.addTimeline({ caseId, at: now, actor: reportedBy, action: 'alert.raised', fromState: c.state, toState: c.state, reason: null }, tx);
          const recipients = [...(c.assigneeId ? [c.assigneeId] : []), ...(await reports.activeSupervisorIds(tx))];
          await outbox.add(tx, 'alert.raised', notice(c, input.id, recipients), now);
        }
        return { id: input.id, caseId, kind, code, reportedBy, at: now.toISOString(), caseState: state };
      });
    },

    /** Newest first; a read of sealed notes, audited. The defender does not see which staff member recorded what. */
    async list(ctx: RequestContext, caseId: string, page: { kind?: CaseReportKind; before?: { at: string; id: string }; limit: number }) {
      const c = await cases.byId(caseId);
      // Kinds, codes and times are metadata every supervisor sees; the sealed notes only a
      // supervisor part of the case, or through a break-glass (then audited as such).
      const sealed = c ? await participation.sealedAccess(ctx.principal, c) : { served: true as const, breakGlassId: null };
      await access.authorize(ctx, 'report.read', { resource: `case:${caseId}/reports`, caseId: c ? caseId : null, found: c !== undefined, facts: caseScope(c) }, undefined, { read: true, breakGlassId: sealed.served ? sealed.breakGlassId : null });
      if (!c) throw new AppError('not_found');
      const rows = await reports.list(caseId, { limit: page.limit, ...(page.kind ? { kind: page.kind } : {}), ...(page.before ? { before: { at: new Date(page.before.at), id: page.before.id } } : {}) });
      const defender = ctx.principal.kind === 'defender';
      // The notes only to a reader of the case; the defender is told a report came from staff, not whom.
      return rows.map((r) => ({
        ...r,
        note: sealed.served ? r.note : null,
        ...withheldFlag(sealed.served || r.note === null),
        reportedBy: defender && r.reportedBy.startsWith('u:') ? 'staff' : r.reportedBy,
      }));
    },
  };
}
