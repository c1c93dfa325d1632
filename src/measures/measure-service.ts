import { createMeasureCommands, type MeasureDeps } from './measure-commands.js';
import { createMeasureReads } from './measure-reads.js';
import { createMeasureProposals } from './measure-proposals.js';
import { createMeasureDecisions } from './measure-decisions.js';
import { createMeasureImplementation } from './measure-implementation.js';
import { createMeasureEnds } from './measure-ends.js';

export type MeasureService = ReturnType<typeof createMeasureService>;

/**
 * Protective measures on a case (workflow.md, "Protective measures"): proposed from the catalogue,
 * consented to by the defender (or their oral consent recorded with an attestation), approved by a
 * supervisor who did not propose them, carried out, active until their end date, reviewed, lifted
 * or expired. Each command is one transaction on the locked case: the change, a timeline entry
 * (action `measure.<event>`, reason `<code> <measureId>[: <reason>]`), the audit event, the
 * deadline events (subject = the measure) and content-free notifications in the outbox. A refused
 * command changes nothing and is audited as denied with the rule that refused it.
 */
export function createMeasureService(deps: MeasureDeps) {
  const kit = createMeasureCommands(deps);
  return {
    ...createMeasureReads(deps, kit),
    ...createMeasureProposals(deps, kit),
    ...createMeasureDecisions(deps, kit),
    ...createMeasureImplementation(deps, kit),
    ...createMeasureEnds(deps, kit),
  };
}
