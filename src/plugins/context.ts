import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestContext } from '../access/principal.js';
import { newDecisionTrail } from '../audit/decision-trail.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** set by ctxOf when the handler hands the request to a service; null before */
    serviceContext: RequestContext | null;
  }
}

/** Declares the request's service context (null until a handler calls ctxOf). */
export function decorateServiceContext(fastify: FastifyInstance): void {
  fastify.decorateRequest('serviceContext', null);
}

/**
 * The service-layer view of a request: who, the id that ties logs and audit events together,
 * and the trail of what it has decided. Made once per request, when the handler hands the request
 * to a service: from then on a refusal is a service's decision, audited; before it (schema, token,
 * rate limit) it is counted in metrics and logs only.
 */
export function ctxOf(request: FastifyRequest): RequestContext {
  request.serviceContext ??= { principal: request.principal, requestId: request.id, trail: newDecisionTrail() };
  return request.serviceContext;
}
