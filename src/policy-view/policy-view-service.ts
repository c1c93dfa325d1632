import type { AccessService } from '../access/access-service.js';
import type { RequestContext } from '../access/principal.js';
import type { PolicyDocument } from './policy-documents.js';

export type PolicyViewService = ReturnType<typeof createPolicyViewService>;

/** The loaded policies, read-only, for the admins and the supervisors (policies/access.yaml `policy.read`); audited like every read. */
export function createPolicyViewService(deps: { access: Pick<AccessService, 'authorize'>; documents: readonly PolicyDocument[]; loadedAt: Date }) {
  const { access, documents, loadedAt } = deps;
  return {
    async read(ctx: RequestContext) {
      await access.authorize(ctx, 'policy.read', { resource: 'policies' }, undefined, { read: true });
      return { loadedAt: loadedAt.toISOString(), files: documents.map((d) => ({ name: d.name, file: d.file, data: d.data, source: d.source })) };
    },
  };
}
