import { actorOf, type RequestContext } from '../access/principal.js';
import { measureView } from './measure-repository.js';
import { assertMeasureCommand } from './measure-refusals.js';
import type { MeasureView, activateMeasure, implementMeasure, liftMeasure, reviewMeasure } from '../contracts/measure.js';
import type { BodyOf } from '../contracts/operation.js';
import { invalid, note, type MeasureCommands, type MeasureDeps } from './measure-commands.js';

const DAY_MS = 86_400_000;

/** An approved measure carried out: implemented, active until its end date, reviewed, or lifted early. */
export function createMeasureImplementation(deps: MeasureDeps, kit: MeasureCommands) {
  const { measures: repo, cases, catalogue } = deps;
  const { onMeasure, event, notice, cancelLeftovers } = kit;
  const { outbox } = deps;

  return {
    /** approved -> implementing (the implementation deadline keeps running until it is active). */
    async implement(ctx: RequestContext, measureId: string, input: BodyOf<typeof implementMeasure>): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.implement', input.reason ?? null, async (m, c, tx, now) => {
        assertMeasureCommand('implement', m, c);
        const updated = await repo.update(m.id, { status: 'implementing', updatedAt: now }, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.implementing', fromState: c.state, toState: c.state, reason: note(m, input.reason) }, tx);
        return measureView(updated);
      });
    },

    /**
     * implementing -> active from now until `endsAt` (default: now + the measure's duration; at most
     * its catalogue maximum). The review deadline falls on the end date, its reminder before it.
     */
    async activate(ctx: RequestContext, measureId: string, input: BodyOf<typeof activateMeasure>): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.implement', null, async (m, c, tx, now) => {
        assertMeasureCommand('activate', m, c);
        const maxDays = Math.max(catalogue.measureByCode(m.code)?.maxDurationDays ?? 0, m.durationDays ?? 0);
        const endsAt = input.endsAt ? new Date(input.endsAt) : new Date(now.getTime() + (m.durationDays ?? maxDays) * DAY_MS);
        if (endsAt.getTime() <= now.getTime()) throw invalid('/body/endsAt', 'must be in the future');
        if (endsAt.getTime() > now.getTime() + maxDays * DAY_MS) throw invalid('/body/endsAt', `must be within ${maxDays} days`);
        const updated = await repo.update(m.id, { status: 'active', startsAt: now, endsAt, updatedAt: now }, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.activated', fromState: c.state, toState: c.state, reason: note(m, `until ${endsAt.toISOString()}`) }, tx);
        await event(c, m, 'measure.activated', now, tx, { measureEnd: endsAt });
        await outbox.add(tx, 'measure.activated', notice(c, m, 'defender'), now);
        return measureView(updated);
      });
    },

    /**
     * Records a review of an active measure (settles its review deadline). With `extendDays`, the
     * end date moves that many days past the later of the current end and now (at most the
     * catalogue maximum each time), and a new review deadline runs to it: the service emits
     * `measure.activated` again with the new end, which is what starts a review deadline.
     * Without an extension the measure keeps its end date and expires on it.
     */
    async review(ctx: RequestContext, measureId: string, input: BodyOf<typeof reviewMeasure>): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.lift', input.reason, async (m, c, tx, now) => {
        assertMeasureCommand('review', m, c);
        const maxDays = Math.max(catalogue.measureByCode(m.code)?.maxDurationDays ?? 0, m.durationDays ?? 0);
        if (input.extendDays !== undefined && input.extendDays > maxDays) throw invalid('/body/extendDays', `must be at most ${maxDays} days for ${m.code}`);
        const endsAt = input.extendDays ? new Date(Math.max(m.endsAt?.getTime() ?? 0, now.getTime()) + input.extendDays * DAY_MS) : m.endsAt;
        const updated = await repo.update(m.id, { endsAt, updatedAt: now }, tx);
        const extended = input.extendDays && endsAt ? `extended to ${endsAt.toISOString()}; ` : '';
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.reviewed', fromState: c.state, toState: c.state, reason: note(m, `${extended}${input.reason}`) }, tx);
        await event(c, m, 'measure.reviewed', now, tx);
        if (input.extendDays && endsAt) await event(c, m, 'measure.activated', now, tx, { measureEnd: endsAt });
        return measureView(updated);
      });
    },

    /** Lifts a measure early (approved, implementing or active), with a reason and a notice to the defender, who may appeal. */
    async lift(ctx: RequestContext, measureId: string, input: BodyOf<typeof liftMeasure>): Promise<MeasureView> {
      return onMeasure(ctx, measureId, 'measure.lift', input.reason, async (m, c, tx, now) => {
        assertMeasureCommand('lift', m, c);
        const updated = await repo.update(m.id, { status: 'lifted', endedAt: now, endedBy: ctx.principal.kind === 'user' ? ctx.principal.userId : null, endReason: input.reason, updatedAt: now }, tx);
        await cases.addTimeline({ caseId: c.id, at: now, actor: actorOf(ctx.principal), action: 'measure.lifted', fromState: c.state, toState: c.state, reason: note(m, input.reason) }, tx);
        await event(c, m, 'measure.lifted', now, tx);
        await cancelLeftovers(c.id, m.id, now, tx);
        await outbox.add(tx, 'measure.lifted', notice(c, m, 'defender'), now);
        return measureView(updated);
      });
    },
  };
}
