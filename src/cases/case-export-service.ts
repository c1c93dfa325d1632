import { AppError } from '../lib/problem.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { RequestContext } from '../access/principal.js';
import type { AccessService } from '../access/access-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { createCommandRunner } from '../audit/audited-command.js';
import type { CaseService } from './case-service.js';
import type { ExportSection } from '../contracts/case-export.js';

export type CaseExportService = ReturnType<typeof createCaseExportService>;

/**
 * A printed (or exported) dossier of a case: the reader's client assembles it from what it may
 * read already and prints nothing before the export is on record. The audit event is the record:
 * who, when, which case and which sections (codes), never what they say. The same readers as the
 * sealed fields (the dossier holds them), so a supervisor outside the case needs a break-glass.
 */
export function createCaseExportService(deps: {
  db: Db;
  caseService: Pick<CaseService, 'sealedFacts'>;
  access: Pick<AccessService, 'authorize'>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
}) {
  const { caseService, access, clock } = deps;
  const command = createCommandRunner({ db: deps.db, audit: deps.audit });

  return {
    async record(ctx: RequestContext, caseId: string, input: { sections: ExportSection[] }) {
      const { c, facts } = await caseService.sealedFacts(ctx, caseId);
      const resource = `case:${caseId}/export`;
      const sections = [...input.sections];
      return command(ctx, { action: 'case.export', resource, caseId: c ? caseId : null }, async (tx) => {
        const at = clock.now();
        await access.authorize(ctx, 'case.export', { resource, caseId: c ? caseId : null, found: c !== undefined, facts }, tx, { reason: `sections: ${sections.join(',')}` });
        if (!c) throw new AppError('not_found');
        return { caseId, exportId: ctx.requestId, at: at.toISOString(), sections };
      });
    },
  };
}
