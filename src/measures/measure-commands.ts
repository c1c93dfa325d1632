import { AppError, fieldInvalid } from '../lib/problem.js';
import type { Db, Tx } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { CaseRepository, CaseRow } from '../cases/case-repository.js';
import type { OrgRepository } from '../orgs/org-repository.js';
import type { DeadlineService } from '../deadlines/deadline-service.js';
import type { DeadlineRepository } from '../deadlines/deadline-repository.js';
import type { Outbox } from '../outbox/outbox.js';
import type { DeadlinePolicy } from '../deadlines/deadline-policy.js';
import type { WorkCalendar } from '../deadlines/calendar.js';
import type { MeasureCatalogue } from './measure-catalogue.js';
import { measureView, type MeasureRepository, type MeasureRow } from './measure-repository.js';
import { defenderMeasureView } from './measure-views.js';
import type { MeasureView } from '../contracts/measure.js';
import type { IntakePolicy } from '../intake/intake-policy.js';
import { createCommandRunner } from '../audit/audited-command.js';
import { caseScope } from '../access/case-scope.js';
import type { CaseParticipation } from '../access/case-participation.js';

/** What the measure commands are built from (src/measures/measure-service.ts composes them). */
export interface MeasureDeps {
  db: Db;
  measures: MeasureRepository;
  cases: Pick<CaseRepository, 'byId' | 'byIdForUpdate' | 'update' | 'addTimeline'>;
  orgs: Pick<OrgRepository, 'byId'>;
  deadlines: Pick<DeadlineService, 'apply'>;
  deadlineRepo: Pick<DeadlineRepository, 'live' | 'settle'>;
  outbox: Outbox;
  access: Pick<AccessService, 'authorize' | 'refusalCode'>;
  audit: Pick<AuditService, 'record'>;
  /** whether a supervisor gets the sealed details (part of the case, or a break-glass) */
  participation: Pick<CaseParticipation, 'sealedAccess'>;
  clock: Clock;
  catalogue: MeasureCatalogue;
  deadlinePolicy: DeadlinePolicy;
  calendar: WorkCalendar;
  /** the consentChannel codes an oral consent may name */
  intake: Pick<IntakePolicy, 'has'>;
}

/** Case states where an assessment has been completed: ordinary measures are proposed and approved here. */
export const ASSESSED_STATES: readonly string[] = ['decision', 'protection'];
/**
 * Case states before an assessment is complete, where only the urgent track runs: urgent measures
 * on an urgent case. `info_requested` is part of triage (its clock paused) and may approve or
 * carry out urgent measures proposed in triage; proposing needs triage or assessment.
 */
export const URGENT_TRACK_STATES: readonly string[] = ['triage', 'info_requested', 'assessment'];
export const URGENT_PROPOSAL_STATES: readonly string[] = ['triage', 'assessment'];

export const invalid = (field: string, message: string, detail?: string) => fieldInvalid(field, message, detail ?? `${field.replace('/body/', '')} ${message}`);
/** The timeline's reason for a measure event: the code and the measure id, then the person's reason. */
export const note = (m: Pick<MeasureRow, 'id' | 'code'>, reason?: string | null) => `${m.code} ${m.id}${reason ? `: ${reason}` : ''}`;

export type MeasureCommands = ReturnType<typeof createMeasureCommands>;

/** What every measure command shares: the audited transaction, the locks, the deadline events and notices. */
export function createMeasureCommands(deps: MeasureDeps) {
  const { db, measures: repo, cases, deadlines, deadlineRepo, access, audit, participation, clock } = deps;

  const command = createCommandRunner({ db, audit });

  const event = (c: CaseRow, m: Pick<MeasureRow, 'id'>, name: string, at: Date, tx: Tx, extra: { urgent?: boolean; measureEnd?: Date } = {}) =>
    deadlines.apply({ caseId: c.id, event: name, at, urgent: extra.urgent ?? c.urgent, subjectId: m.id, ...(extra.measureEnd ? { measureEnd: extra.measureEnd } : {}) }, tx);

  /** A content-free notification: ids, the code and the case reference, never the sealed details. */
  const notice = (c: CaseRow, m: Pick<MeasureRow, 'id' | 'code'>, to: 'defender' | 'officer') => ({ caseId: c.id, reference: c.reference, measureId: m.id, code: m.code, to });

  /**
   * A measure that is over leaves no deadline running: the events above settle what their rules
   * name; what no rule ends (implementation of a lifted measure, the confirmation of a lapsed one,
   * the review of an expired one) is cancelled.
   */
  async function cancelLeftovers(caseId: string, measureId: string, at: Date, tx: Tx): Promise<void> {
    const live = await deadlineRepo.live(caseId, null, measureId, tx);
    await deadlineRepo.settle(live.map((d) => d.id), 'cancelled', at, tx);
  }

  /**
   * The first measure approved (or urgent measure confirmed) on a case in `decision` takes it to
   * `protection` (the measure's event settles the case's decision deadline). A defender at high or
   * extreme risk starts checking in from here (policies/deadlines.yaml, `checkin`).

  /**
   * Runs a command on one measure: case locked, then the measure, authorised with the proposer as
   * a fact. The measure it answers with leaves out the sealed details for a supervisor outside the
   * case (as the list does): acting on a measure is not reading the case.
   */
  async function onMeasure(ctx: RequestContext, measureId: string, action: string, reason: string | null, run: (m: MeasureRow, c: CaseRow, tx: Tx, now: Date) => Promise<MeasureView>): Promise<MeasureView> {
    const caseId = await repo.caseIdOf(measureId);
    const resource = `measure:${measureId}`;
    return command(ctx, { action, resource, caseId: caseId ?? null }, async (tx) => {
      const c = caseId ? await cases.byIdForUpdate(caseId, tx) : undefined;
      const m = c ? await repo.byIdForUpdate(measureId, tx) : undefined;
      const found = c && m ? { c, m } : null;
      await access.authorize(ctx, action, { resource, caseId: found ? found.c.id : null, facts: found ? { ...caseScope(found.c), proposerId: found.m.proposedBy } : {} }, tx, { reason });
      if (!found) throw new AppError('not_found');
      if (found.c.state === 'closed') throw new AppError('invalid_transition', 'the case is closed');
      // Asked before the command: a measure that waited on this supervisor no longer does after it.
      const sealed = await participation.sealedAccess(ctx.principal, found.c, tx);
      const out = await run(found.m, found.c, tx, clock.now());
      // A command answers with the measure only, so a break-glass adds nothing to read here: withheld unless part of the case.
      return sealed.served && sealed.breakGlassId === null ? out : withheld(out);
    });
  }

  const withheld = (v: MeasureView): MeasureView => (v.details === null ? v : { ...v, details: null, sealedWithheld: true });

  const viewFor = (ctx: RequestContext, m: MeasureRow): MeasureView => (ctx.principal.kind === 'defender' ? defenderMeasureView(measureView(m)) : measureView(m));

  return { command, onMeasure, event, notice, cancelLeftovers, withheld, viewFor };
}
