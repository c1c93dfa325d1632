import type { AccessService } from '../access/access-service.js';
import type { RequestContext } from '../access/principal.js';
import type { Policies } from '../policies.js';
import type { ConsoleCatalogues as Catalogues } from '../contracts/console.js';

/**
 * What the console's forms and labels take from policies/ (and its evidence-file settings): the same objects the services enforce,
 * so a code or a threshold changed there reaches the console at its next load.
 */
export function createConsoleService(deps: { access: AccessService; policies: Pick<Policies, 'intake' | 'risk' | 'workflow' | 'files'> }) {
  const { access, policies } = deps;
  const { rating, levels, thresholdsHundredths, override, threatSources, vulnerabilityFactors, capacityFactors } = policies.risk;
  const catalogues: Catalogues = {
    intake: policies.intake.lists,
    risk: { rating, levels, thresholdsHundredths, override, threatSources, vulnerabilityFactors, capacityFactors },
    workflow: {
      closeReasons: [...policies.workflow.closeReasons],
      declineReasons: policies.workflow.declineReasons.map((r) => ({ ...r })),
      transitions: [...policies.workflow.transitions.values()].map((t) => ({
        name: t.name,
        description: t.description,
        from: [...t.from] as string[],
        to: t.to ?? null,
        requires: [...t.requires],
        ...(t.closeReason ? { closeReason: t.closeReason } : {}),
      })),
    },
    files: {
      maxFileBytes: policies.files.maxFileBytes,
      uploadChunkBytes: policies.files.uploadChunkBytes,
      inMemoryDownloadMaxBytes: policies.files.inMemoryDownloadMaxBytes,
      stripLocationByDefault: policies.files.stripLocationByDefault.staff,
    },
  };
  return {
    async catalogues(ctx: RequestContext): Promise<Catalogues> {
      await access.authorize(ctx, 'console.catalogues', { resource: 'console-catalogues' }, undefined, { read: true });
      return catalogues;
    },
  };
}

export type ConsoleService = ReturnType<typeof createConsoleService>;
