import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from '@tus/server';
import { NodeRequest, sendNodeResponse } from 'srvx/node';
import type { DataStore } from '@tus/utils';
import { problemDocument, type ProblemCode } from '../lib/problem.js';

/** What the server does when an upload's last byte is stored (runs before the last PATCH is answered). */
export type UploadFinished = (fileId: string, request: IncomingMessage) => Promise<void>;

/** tus error answers (plain text) as the API's problem codes. */
function problemOf(status: number): ProblemCode {
  switch (status) {
    case 400:
    case 403:
    case 412:
      return 'validation_failed';
    case 404:
    case 410:
      return 'not_found';
    case 409:
      return 'upload_offset_mismatch';
    case 413:
      return 'file_too_large';
    case 415:
      return 'unsupported_media_type';
    // A tus extension this server does not offer (concatenation, deferred length): the client's request, not a failure.
    case 501:
      return 'validation_failed';
    default:
      return 'internal';
  }
}

/**
 * The tus 1.0 server (@tus/server) behind the API's own routes: the routes authenticate,
 * authorise and bind the upload to its case and uploader first, then hand the request here.
 * The store never sees the upload's metadata (it is checked and kept in PostgreSQL), only bytes.
 * Its plain-text errors are turned into problem documents like every other answer of the API.
 */
export function createUploadServer(deps: { datastore: DataStore; path: string; maxSize: number; onFinished: UploadFinished }) {
  const tus = new Server({
    path: deps.path,
    datastore: deps.datastore,
    maxSize: deps.maxSize,
    relativeLocation: true,
    respectForwardedHeaders: false,
    // Same origin only: no Access-Control-Allow-Origin at all.
    allowedOrigins: () => false,
    disableTerminationForFinishedUploads: true,
    // The route checked that the client's fileId is new and is the one in its sealed ADs.
    namingFunction: (_req, metadata) => {
      const id = metadata?.fileId;
      if (!id) throw { status_code: 400, body: 'fileId missing' };
      // The row's id as PostgreSQL writes it (lower case): the store is later asked for that name.
      return id.toLowerCase();
    },
    onUploadCreate: async () => ({ metadata: {} }),
    onUploadFinish: async (req, upload) => {
      const node = (req as { runtime?: { node?: { req: IncomingMessage } } }).runtime?.node?.req;
      if (!node) throw new Error('the upload server runs on Node.js requests only');
      await deps.onFinished(upload.id, node);
      return {};
    },
  });

  return {
    /** Serves one tus request on the raw Node request/response (the Fastify reply is hijacked). */
    async handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
      const response = await tus.handleWeb(new NodeRequest({ req, res }));
      if (response.status < 400) return sendNodeResponse(res, response);
      const code = problemOf(response.status);
      const detail = (await response.text()).trim().slice(0, 300);
      const doc = problemDocument(code, detail && code !== 'internal' ? detail : undefined, requestId);
      const body = JSON.stringify(doc);
      const headers = new Headers({ 'content-type': 'application/problem+json; charset=utf-8', 'tus-resumable': '1.0.0', 'cache-control': 'no-store' });
      if (response.headers.get('connection') === 'close') headers.set('connection', 'close');
      return sendNodeResponse(res, new Response(body, { status: doc.status, headers }));
    },
  };
}

export type UploadServer = ReturnType<typeof createUploadServer>;
