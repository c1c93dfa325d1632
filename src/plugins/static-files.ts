import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A file as served: its bytes, and its brotli and gzip copies (made by the build, or here). */
export interface Encoded {
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
}

/** Compressed once at start, for what the service makes itself (not a file of the build). */
export function encode(raw: Buffer): Encoded {
  return { raw, gzip: gzipSync(raw, { level: 9 }), br: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }) };
}

export const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/** brotli, then gzip, then none, as the client accepts (q=0 refuses). */
function pickEncoding(request: FastifyRequest): 'br' | 'gzip' | null {
  const header = String(request.headers['accept-encoding'] ?? '');
  const accepted = new Set(
    header
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => !q || !/^\s*q=0(?:\.0*)?\s*$/.test(q))
      .map(([name]) => (name ?? '').trim().toLowerCase()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

/**
 * Sends a file of a web application under its CSP, with the headers both applications share: no
 * referrer, no powerful feature, and the encoding the client accepts.
 */
export function sendEncoded(request: FastifyRequest, reply: FastifyReply, body: Encoded, headers: { contentType: string; cacheControl: string; csp: string }): FastifyReply {
  const encoding = pickEncoding(request);
  void reply
    .header('content-security-policy', headers.csp)
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', headers.cacheControl)
    .header('vary', 'accept-encoding')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()')
    .type(headers.contentType);
  if (encoding) void reply.header('content-encoding', encoding);
  return reply.send(encoding === 'br' ? body.br : encoding === 'gzip' ? body.gzip : body.raw);
}
