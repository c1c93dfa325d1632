import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { MeasureService } from './measure-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/measure.js';

/** Protective measures (workflow.md, "Protective measures"); every rule is in the measure service. */
const measureRoutes: FastifyPluginAsyncTypebox<{ measures: MeasureService }> = async (fastify, { measures }) => {
  fastify.route({
    ...routeOf(api.getMeasureCatalogue),
    config: { action: 'measure.catalogue' },
    handler: async (request) => ({ items: await measures.catalogue(ctxOf(request)) }),
  });

  fastify.route({
    ...routeOf(api.listCaseMeasures),
    config: { action: 'measure.read' },
    handler: async (request) => ({ items: await measures.list(ctxOf(request), request.params.caseId) }),
  });

  fastify.route({
    ...routeOf(api.proposeMeasure),
    config: { action: 'measure.propose' },
    handler: async (request, reply) => reply.code(201).send(await measures.propose(ctxOf(request), request.params.caseId, request.body)),
  });

  fastify.route({
    ...routeOf(api.consentToMeasure),
    config: { action: 'measure.consent' },
    handler: async (request) => measures.consent(ctxOf(request), request.params.measureId, request.body),
  });

  fastify.route({
    ...routeOf(api.decideMeasure),
    config: { action: 'measure.approve' },
    handler: async (request) => measures.decide(ctxOf(request), request.params.measureId, request.body),
  });

  fastify.route({
    ...routeOf(api.confirmMeasure),
    config: { action: 'measure.approve' },
    handler: async (request) => measures.confirm(ctxOf(request), request.params.measureId, request.body),
  });

  fastify.route({
    ...routeOf(api.implementMeasure),
    config: { action: 'measure.implement' },
    handler: async (request) => measures.implement(ctxOf(request), request.params.measureId, request.body),
  });

  fastify.route({
    ...routeOf(api.activateMeasure),
    config: { action: 'measure.implement' },
    handler: async (request) => measures.activate(ctxOf(request), request.params.measureId, request.body),
  });

  fastify.route({
    ...routeOf(api.reviewMeasure),
    config: { action: 'measure.lift' },
    handler: async (request) => measures.review(ctxOf(request), request.params.measureId, request.body),
  });

  fastify.route({
    ...routeOf(api.liftMeasure),
    config: { action: 'measure.lift' },
    handler: async (request) => measures.lift(ctxOf(request), request.params.measureId, request.body),
  });
};

export default measureRoutes;
