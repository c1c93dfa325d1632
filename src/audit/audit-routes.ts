import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { ctxOf } from '../plugins/context.js';
import type { AuditFilters } from './audit-repository.js';
import type { AuditQueryService, ExportRequest } from './audit-query-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/audit.js';

function filtersOf(q: Static<typeof api.FiltersQuery>): AuditFilters {
  const f: AuditFilters = {};
  if (q.actor !== undefined) f.actor = q.actor;
  if (q.caseId !== undefined) f.caseId = q.caseId;
  if (q.action !== undefined) f.action = q.action;
  if (q.outcome !== undefined) f.outcome = q.outcome;
  if (q.from !== undefined) f.from = new Date(q.from);
  if (q.to !== undefined) f.to = new Date(q.to);
  return f;
}

/** A seq range when either end is given (the filters sent beside it named, for the refusal), else the filters. */
function exportRequestOf(q: Static<typeof api.ExportQuery>): ExportRequest {
  const { afterSeq, toSeq, ...fields } = q;
  if (afterSeq === undefined && toSeq === undefined) return { filters: filtersOf(fields) };
  return {
    range: { ...(afterSeq !== undefined ? { afterSeq: Number(afterSeq) } : {}), ...(toSeq !== undefined ? { toSeq: Number(toSeq) } : {}) },
    filtered: Object.keys(fields).filter((k) => fields[k as keyof typeof fields] !== undefined),
  };
}

export interface AuditRoutesOptions {
  auditQuery: AuditQueryService;
}

/** The audit log for supervisors: query, export (whole, filtered or a checkpointed range), signed head and checkpoints, verification. Authorised and audited in the service. */
const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesOptions> = async (fastify, opts) => {
  const { auditQuery } = opts;

  fastify.route({
    ...routeOf(api.listAuditEvents),
    config: { action: 'audit.read' },
    handler: async (request) => {
      const q = request.query;
      return auditQuery.list(ctxOf(request), filtersOf(q), {
        limit: q.limit !== undefined ? Number(q.limit) : 100,
        order: q.order ?? 'desc',
        ...(q.after !== undefined ? { after: Number(q.after) } : {}),
      });
    },
  });

  fastify.route({
    ...routeOf(api.exportAuditLog),
    config: { action: 'audit.read', limit: 'auditExport' },
    handler: async (request, reply) => {
      const events = await auditQuery.export(ctxOf(request), exportRequestOf(request.query));
      const lines = Readable.from(
        (async function* () {
          for await (const e of events) yield `${JSON.stringify(e)}\n`;
        })(),
      );
      return reply.type('application/x-ndjson').header('content-disposition', 'attachment; filename="audit.ndjson"').send(lines);
    },
  });

  fastify.route({
    ...routeOf(api.getAuditHead),
    config: { action: 'audit.read' },
    handler: async (request) => auditQuery.head(ctxOf(request)),
  });

  fastify.route({
    ...routeOf(api.getAuditCheckpoints),
    config: { action: 'audit.read' },
    handler: async (request) => {
      const q = request.query;
      return auditQuery.checkpoints(ctxOf(request), { ...(q.from !== undefined ? { from: new Date(q.from) } : {}), ...(q.to !== undefined ? { to: new Date(q.to) } : {}) });
    },
  });

  fastify.route({
    ...routeOf(api.verifyAuditChain),
    config: { action: 'audit.verify', limit: 'auditVerify' },
    handler: async (request) => auditQuery.verify(ctxOf(request)),
  });
};

export default auditRoutes;
