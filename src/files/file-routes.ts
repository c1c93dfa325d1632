import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/file.js';
import type { FileService } from './file-service.js';
import type { FilePolicy } from './file-policy.js';

/** Evidence files of a case: attach an upload, list, download the ciphertext, its time-stamp; and the clients' settings. */
const fileRoutes: FastifyPluginAsyncTypebox<{ files: FileService; policy: FilePolicy }> = async (fastify, { files, policy }) => {
  const settings = {
    uploadChunkBytes: policy.uploadChunkBytes,
    maxFileBytes: policy.maxFileBytes,
    inMemoryDownloadMaxBytes: policy.inMemoryDownloadMaxBytes,
    stripLocationByDefault: { defender: policy.stripLocationByDefault.defender, staff: policy.stripLocationByDefault.staff },
  };
  fastify.route({
    ...routeOf(api.getFileSettings),
    config: { action: 'file.settings' },
    handler: async () => settings,
  });

  fastify.route({
    ...routeOf(api.attachCaseFile),
    config: { action: 'file.upload' },
    handler: async (request) => files.attach(ctxOf(request), request.params.caseId, request.params.fileId, request.body),
  });

  fastify.route({
    ...routeOf(api.listCaseFiles),
    config: { action: 'file.read' },
    handler: async (request) => files.list(ctxOf(request), request.params.caseId),
  });

  fastify.route({
    ...routeOf(api.getCaseFileContent),
    config: { action: 'file.read' },
    handler: async (request, reply) => {
      const file = await files.open(ctxOf(request), request.params.caseId, request.params.fileId);
      return reply
        .type('application/octet-stream')
        .header('content-length', file.size)
        .header('repr-digest', `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`)
        .header('cache-control', 'no-store')
        .header('content-disposition', 'attachment')
        .send(file.stream);
    },
  });

  fastify.route({
    ...routeOf(api.getCaseFileTimestamp),
    config: { action: 'file.read' },
    handler: async (request, reply) => {
      const token = await files.timestamp(ctxOf(request), request.params.caseId, request.params.fileId);
      return reply.type('application/timestamp-reply').header('cache-control', 'no-store').send(Buffer.from(token));
    },
  });
};

export default fileRoutes;
