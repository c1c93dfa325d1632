import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { NoteService } from './note-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/note.js';

/** Internal notes of the staff on a case, sealed under the case's staff key (never the defender's). */
const noteRoutes: FastifyPluginAsyncTypebox<{ notes: NoteService }> = async (fastify, { notes }) => {
  fastify.route({
    ...routeOf(api.createStaffKey),
    config: { action: 'case.staff_key' },
    handler: async (request, reply) => reply.code(201).send(await notes.createStaffKey(ctxOf(request), request.params.caseId, request.body)),
  });

  fastify.route({
    ...routeOf(api.createNote),
    config: { action: 'note.create' },
    handler: async (request, reply) => reply.code(201).send(await notes.create(ctxOf(request), request.params.caseId, request.body)),
  });

  fastify.route({
    ...routeOf(api.listCaseNotes),
    config: { action: 'note.read' },
    handler: async (request) => {
      const { afterAt, afterId, limit } = request.query;
      return notes.list(ctxOf(request), request.params.caseId, { limit: Number(limit ?? 50), ...(afterAt && afterId ? { after: { at: afterAt, id: afterId } } : {}) });
    },
  });
};

export default noteRoutes;
