import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../access/principal.js';

/** The service-layer view of a request: who, and the id that ties logs and audit events together. */
export function ctxOf(request: FastifyRequest): RequestContext {
  return { principal: request.principal, requestId: request.id };
}
