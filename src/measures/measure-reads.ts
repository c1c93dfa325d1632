import { AppError } from '../lib/problem.js';
import type { RequestContext } from '../access/principal.js';
import { catalogueEntryView } from './measure-views.js';
import { MEASURE_COMMANDS, type MeasureView } from '../contracts/measure.js';
import { MEASURE_COMMAND_ACTIONS, measureRefusal } from './measure-refusals.js';
import { type MeasureCommands, type MeasureDeps } from './measure-commands.js';
import { caseScope } from '../access/case-scope.js';

/** The catalogue, and the measures of a case. */
export function createMeasureReads(deps: MeasureDeps, kit: MeasureCommands) {
  const { measures: repo, cases, access, participation, catalogue } = deps;
  const { viewFor, withheld } = kit;

  return {
    /** The catalogue as clients show it (implementers named as the API names them). */
    async catalogue(ctx: RequestContext) {
      await access.authorize(ctx, 'measure.catalogue', { resource: 'measure-catalogue' }, undefined, { read: true });
      return catalogue.measures.map(catalogueEntryView);
    },

    /** The measures of a case, oldest first; the defender's view leaves out staff ids. */
    async list(ctx: RequestContext, caseId: string): Promise<MeasureView[]> {
      const c = await cases.byId(caseId);
      // Codes, states and dates are metadata every supervisor sees; the sealed details only a
      // supervisor part of the case, or through a break-glass (then audited as such).
      const sealed = c ? await participation.sealedAccess(ctx.principal, c) : { served: true as const, breakGlassId: null };
      await access.authorize(ctx, 'measure.read', { resource: `case:${caseId}/measures`, caseId: c ? caseId : null, found: c !== undefined, facts: c ? caseScope(c) : {} }, undefined, { read: true, breakGlassId: sealed.served ? sealed.breakGlassId : null });
      if (!c) throw new AppError('not_found');
      const p = ctx.principal;
      const views = (await repo.byCase(caseId)).map((m) => {
        const v = viewFor(ctx, m);
        if (p.kind !== 'user') return v;
        // The same two checks the command runs: the access policy (four eyes included), then the measure's own refusal.
        const facts = { ...caseScope(c), proposerId: m.proposedBy };
        const actions = MEASURE_COMMANDS.map((command) => {
          const action = MEASURE_COMMAND_ACTIONS[command];
          const code = access.refusalCode(p, action, facts) ?? measureRefusal(command, m, c)?.code ?? null;
          return { command, action, allowed: code === null, refusal: code };
        });
        return { ...v, actions };
      });
      return sealed.served ? views : views.map(withheld);
    },
  };
}
