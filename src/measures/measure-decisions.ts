import { actorOf, type RequestContext } from '../access/principal.js';
import type { Tx } from '../db/client.js';
import type { CaseRow } from '../cases/case-repository.js';
import { measureView } from './measure-repository.js';
import type { MeasureView, confirmMeasure, decideMeasure } from '../contracts/measure.js';
import type { BodyOf } from '../contracts/operation.js';
import { URGENT_TRACK_STATES, note, type MeasureCommands, type MeasureDeps } from './measure-commands.js';
import { assertMeasureCommand } from './measure-refusals.js';

/** A supervisor's decision on a consented measure, and the ordinary decision that confirms an urgent one. */
export function createMeasureDecisions(deps: MeasureDeps, kit: MeasureCommands) {
  const { measures: repo, cases, deadlines } = deps;
  const { onMeasure, event, notice } = kit;
  const { outbox } = deps;

  /**
   * The first measure approved (or urgent measure confirmed) on a case in `decision` takes it to
   * `protection` (the measure's event settles the case's decision deadline). A defender at high or
   * extreme risk starts checking in from here (policies/deadlines.yaml, `checkin`).
   */
  async function enterProtection(c: CaseRow, at: Date, tx: Tx): Promise<string> {
    if (c.state !== 'decision') return c.state;
    await cases.update(c.id, { state: 'protection', updatedAt: at }, tx);
    await deadlines.apply({ caseId: c.id, event: 'case.protection_started', at, urgent: c.urgent, ...(c.riskLevel ? { riskLevel: c.riskLevel } : {}) }, tx);
    return 'protection';
  }

  return {
    /**
     * A supervisor other than the proposer approves or rejects a consented measure. Approval on a
     * case in `decision` takes it to `protection`. An urgent-track measure approved before an
     * assessment has been completed also starts its urgent confirmation (14 days); approved once the
     * assessment is complete (decision, protection), the approval is itself the ordinary decision
     * and the measure is confirmed at once.
     */
    async decide(ctx: RequestContext, measureId: string, input: BodyOf<typeof decideMeasure>): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.approve', input.reason, async (m, c, tx, now) => {
        assertMeasureCommand(input.decision, m, c);
        const actor = actorOf(ctx.principal);
        const decider = ctx.principal.kind === 'user' ? ctx.principal.userId : null;
        if (input.decision === 'reject') {
          const updated = await repo.update(m.id, { status: 'rejected', decidedBy: decider, decidedAt: now, decisionReason: input.reason, updatedAt: now }, tx);
          await cases.addTimeline({ caseId: c.id, at: now, actor, action: 'measure.rejected', fromState: c.state, toState: c.state, reason: note(m, input.reason) }, tx);
          await event(c, m, 'measure.rejected', now, tx);
          await outbox.add(tx, 'measure.rejected', notice(c, m, 'defender'), now);
          return measureView(updated);
        }
        const urgentTrack = m.urgent && URGENT_TRACK_STATES.includes(c.state);
        const updated = await repo.update(m.id, { status: 'approved', decidedBy: decider, decidedAt: now, decisionReason: input.reason, confirmedAt: m.urgent && !urgentTrack ? now : null, updatedAt: now }, tx);
        const toState = await enterProtection(c, now, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor, action: 'measure.approved', fromState: c.state, toState, reason: note(m, urgentTrack ? `urgent track, to be confirmed: ${input.reason}` : input.reason) }, tx);
        await event(c, m, 'measure.approved', now, tx);
        // The confirmation clock runs on the urgent track whatever the case's own pace.
        if (urgentTrack) await event(c, m, 'measure.urgent_approved', now, tx, { urgent: true });
        await outbox.add(tx, 'measure.approved', notice(c, m, 'defender'), now);
        return measureView(updated);
      });
    },

    /**
     * An ordinary decision confirms an urgent-track measure still in effect. It needs a completed
     * assessment (the case in decision or protection: 409 assessment_required before); on a case in
     * `decision` it takes the case to `protection`, as a first approval does.
     */
    async confirm(ctx: RequestContext, measureId: string, input: BodyOf<typeof confirmMeasure>): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.approve', input.reason, async (m, c, tx, now) => {
        assertMeasureCommand('confirm', m, c);
        const updated = await repo.update(m.id, { confirmedAt: now, updatedAt: now }, tx);
        const toState = await enterProtection(c, now, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.confirmed', fromState: c.state, toState, reason: note(m, input.reason) }, tx);
        await event(c, m, 'measure.confirmed', now, tx);
        return measureView(updated);
      });
    },
  };
}
