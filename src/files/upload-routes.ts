import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Metadata } from '@tus/utils';
import { ctxOf } from '../plugins/context.js';
import { fieldInvalid } from '../lib/problem.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/file.js';
import type { FileService, UploadRequest } from './file-service.js';
import type { UploadServer } from './upload-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FIELD = '/headers/upload-metadata';

/**
 * Creation headers the tus server would refuse after the upload is bound (a row written and
 * audited for a request then answered 4xx or 501): refused here first, before any service runs.
 * The deferred length and concatenation extensions are not offered (the size is checked first);
 * tus validates Upload-Offset, X-Forwarded-Proto and Tus-Version even though a creation uses none of them.
 */
function refuseUnboundable(headers: Record<string, string | string[] | undefined>): void {
  for (const name of ['upload-defer-length', 'upload-concat']) {
    if (headers[name] !== undefined) throw fieldInvalid(`/headers/${name}`, 'is not supported: Upload-Length is given at creation, and uploads are never concatenated');
  }
  const offset = headers['upload-offset'];
  if (offset !== undefined && (typeof offset !== 'string' || !/^(0|[1-9][0-9]{0,14})$/.test(offset))) throw fieldInvalid('/headers/upload-offset', 'must be a non-negative integer');
  const proto = headers['x-forwarded-proto'];
  if (proto !== undefined && proto !== 'http' && proto !== 'https') throw fieldInvalid('/headers/x-forwarded-proto', 'must be http or https');
  const version = headers['tus-version'];
  if (version !== undefined && version !== '1.0.0') throw fieldInvalid('/headers/tus-version', 'must be 1.0.0');
}

/** The creation request's tus metadata, checked: nothing else of it is kept anywhere. */
function uploadRequest(headers: { 'upload-length': string; 'upload-metadata': string } & Record<string, string | string[] | undefined>, ip: string): UploadRequest {
  refuseUnboundable(headers);
  let meta: Record<string, string | null>;
  try {
    meta = Metadata.parse(headers['upload-metadata']);
  } catch {
    throw fieldInvalid(FIELD, 'is not tus metadata (comma-separated `key base64(value)` pairs)');
  }
  const caseId = meta.caseId ?? '';
  const fileId = meta.fileId ?? '';
  const key = meta.key ?? '';
  if (!UUID.test(caseId)) throw fieldInvalid(`${FIELD}/caseId`, 'must be a UUID');
  if (!UUID.test(fileId)) throw fieldInvalid(`${FIELD}/fileId`, 'must be a UUID');
  if (key.length === 0 || key.length > 8000) throw fieldInvalid(`${FIELD}/key`, 'must be the sealed file key record');
  const extra = Object.keys(meta).filter((k) => !['caseId', 'fileId', 'key', 'keyEpoch'].includes(k));
  // A file name or type in the clear would be kept by nobody, but must not even be sent.
  if (extra.length > 0) throw fieldInvalid(`${FIELD}/${extra[0]}`, 'is not accepted: names, types and captions travel sealed, when the file is attached');
  let keyEpoch: number | undefined;
  if (meta.keyEpoch !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(meta.keyEpoch ?? '')) throw fieldInvalid(`${FIELD}/keyEpoch`, 'must be a positive integer');
    keyEpoch = Number(meta.keyEpoch);
  }
  return { caseId: caseId.toLowerCase(), fileId: fileId.toLowerCase(), key, size: Number(headers['upload-length']), ip, ...(keyEpoch !== undefined ? { keyEpoch } : {}) };
}

/**
 * The tus endpoints. Each route authenticates and asks the file service first (who may write to
 * which upload, within which limits), then hands the raw request to the tus server, which streams
 * the body to the store: Fastify never buffers an upload.
 */
const uploadRoutes: FastifyPluginAsyncTypebox<{ files: FileService; uploads: UploadServer }> = async (fastify, { files, uploads }) => {
  // The body is left unread for the tus server to stream.
  fastify.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null, undefined));

  fastify.route({
    ...routeOf(api.createUpload),
    config: { action: 'file.upload' },
    handler: async (request, reply) => {
      await files.beginUpload(ctxOf(request), uploadRequest(request.headers, request.ip));
      reply.hijack();
      await uploads.handle(request.raw, reply.raw, request.id);
    },
  });

  fastify.route({
    ...routeOf(api.getUploadOffset),
    // @fastify/swagger leaves HEAD routes out unless asked (and names them `<operationId>-head`).
    config: { action: 'file.upload', swagger: { exposeHeadRoute: true } },
    handler: async (request, reply) => {
      await files.checkUpload(ctxOf(request), request.params.fileId, 'offset');
      reply.hijack();
      await uploads.handle(request.raw, reply.raw, request.id);
    },
  });

  fastify.route({
    ...routeOf(api.appendUpload),
    config: { action: 'file.upload' },
    handler: async (request, reply) => {
      const ctx = ctxOf(request);
      await files.checkUpload(ctx, request.params.fileId, 'append');
      files.contexts.set(request.raw, ctx);
      reply.hijack();
      await uploads.handle(request.raw, reply.raw, request.id);
    },
  });

  fastify.route({
    ...routeOf(api.abandonUpload),
    config: { action: 'file.upload' },
    handler: async (request, reply) => {
      await files.abandon(ctxOf(request), request.params.fileId);
      return reply.code(204).header('tus-resumable', '1.0.0').send();
    },
  });
};

export default uploadRoutes;
