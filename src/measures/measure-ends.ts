import { randomUUID } from 'node:crypto';
import type { Tx } from '../db/client.js';
import { systemContext } from '../access/principal.js';
import { addDuration, type Duration } from '../deadlines/due-time.js';
import { IN_EFFECT_STATUSES, type MeasureStatus } from './measure-repository.js';
import { note, type MeasureCommands, type MeasureDeps } from './measure-commands.js';

/** workflow.md: urgent measures lapse unless confirmed within 14 days; used only if the policy gives no plain duration. */
const DEFAULT_CONFIRMATION: Duration = { days: 14 };

/** What ends measures with no command on them: time (expiry, a lapsed urgent measure) and a case that stops. */
export function createMeasureEnds(deps: MeasureDeps, kit: MeasureCommands) {
  const { db, measures: repo, cases, deadlines, audit, deadlinePolicy, calendar } = deps;
  const { notice, cancelLeftovers } = kit;
  const { outbox } = deps;

  const confirmationWindow: Duration = (() => {
    const rule = deadlinePolicy.rules.get('urgent_confirmation');
    const d = rule?.urgent ?? rule?.ordinary ?? null;
    return d && !('kind' in d) ? d : DEFAULT_CONFIRMATION;
  })();

  /** Ends one measure because its end date passed (`expired`) or it lapsed unconfirmed (`lapsed`); false when it no longer applies. */
  async function endBySystem(measureId: string, caseId: string, kind: 'expired' | 'lapsed', now: Date): Promise<boolean> {
    return db.transaction(async (tx) => {
      const c = await cases.byIdForUpdate(caseId, tx);
      const m = c ? await repo.byIdForUpdate(measureId, tx) : undefined;
      if (!c || !m) return false;
      // Checked again under the locks: a review or a confirmation may have come in meanwhile.
      const due =
        kind === 'expired'
          ? m.status === 'active' && m.endsAt !== null && m.endsAt.getTime() <= now.getTime()
          : m.urgent && m.confirmedAt === null && IN_EFFECT_STATUSES.includes(m.status) && m.decidedAt !== null && addDuration(m.decidedAt, confirmationWindow, calendar).getTime() <= now.getTime();
      if (!due) return false;
      await repo.update(m.id, { status: 'expired', endedAt: now, endedBy: null, endReason: kind, updatedAt: now }, tx);
      await cancelLeftovers(c.id, m.id, now, tx);
      await cases.addTimeline({ caseId: c.id, at: now, actor: 'system', action: `measure.${kind}`, fromState: c.state, toState: c.state, reason: note(m, kind === 'expired' ? 'end date reached' : 'not confirmed by an ordinary decision in time') }, tx);
      await audit.record(systemContext(`measure-expiry-${randomUUID()}`), { action: 'measure.expire', resource: `measure:${m.id}`, caseId: c.id, outcome: 'allowed', reason: kind }, tx);
      await outbox.add(tx, 'measure.ended', { ...notice(c, m, 'defender'), reason: kind }, now);
      await outbox.add(tx, 'measure.ended', { ...notice(c, m, 'officer'), reason: kind }, now);
      return true;
    });
  }

  return {
    /**
     * Stops every measure of a case that is not over, inside the caller's transaction (the caller
     * holds the case lock: the defender's withdrawal of consent). Measures approved, implementing or
     * active become `lifted`; proposed or consented ones become `refused`, since the defender's
     * consent is what is withdrawn (`rejected` would say a supervisor decided against them). Each
     * gets endedAt = at and endReason = reason, the event that settles its deadlines
     * (measure.lifted / measure.refused; anything left for it is cancelled), a timeline entry and
     * an audit event with the system as actor (the caller records its own command). No notice goes
     * to the defender: the stop is their own doing. Returns how many were stopped.
     */
    async stopOpenMeasures(caseId: string, reason: string, at: Date, tx: Tx): Promise<number> {
      const open = await repo.openOfCaseForUpdate(caseId, tx);
      if (open.length === 0) return 0;
      const c = await cases.byId(caseId, tx);
      if (!c) return 0;
      const ctx = systemContext(`measure-stop-${randomUUID()}`);
      for (const m of open) {
        const lifted = IN_EFFECT_STATUSES.includes(m.status);
        const status: MeasureStatus = lifted ? 'lifted' : 'refused';
        await repo.update(m.id, { status, endedAt: at, endReason: reason, updatedAt: at }, tx);
        const name = lifted ? 'measure.lifted' : 'measure.refused';
        await deadlines.apply({ caseId, event: name, at, urgent: c.urgent, subjectId: m.id }, tx);
        await cancelLeftovers(caseId, m.id, at, tx);
        await cases.addTimeline({ caseId, at, actor: 'system', action: name, fromState: c.state, toState: c.state, reason: note(m, reason) }, tx);
        await audit.record(ctx, { action: 'measure.stop', resource: `measure:${m.id}`, caseId, outcome: 'allowed', reason: `${m.status} -> ${status}: ${reason}` }, tx);
      }
      return open.length;
    },

    /**
     * Ends what time has ended (called by a worker): active measures past their end date become
     * `expired` (endReason `expired`); urgent-track measures still unconfirmed when the
     * urgent_confirmation window of policies/deadlines.yaml (14 days) has passed since approval
     * lapse (`expired`, endReason `lapsed`). Each in its own transaction, with a timeline entry and
     * an audit event by the system, and notices to the defender and the officer.
     */
    async expireDue(now: Date): Promise<{ expired: string[]; lapsed: string[] }> {
      const expired: string[] = [];
      const lapsed: string[] = [];
      for (const r of await repo.activeEndedBy(now)) {
        if (await endBySystem(r.id, r.caseId, 'expired', now)) expired.push(r.id);
      }
      for (const r of await repo.unconfirmedUrgent()) {
        if (r.decidedAt === null || addDuration(r.decidedAt, confirmationWindow, calendar).getTime() > now.getTime()) continue;
        if (await endBySystem(r.id, r.caseId, 'lapsed', now)) lapsed.push(r.id);
      }
      return { expired, lapsed };
    },
  };
}
